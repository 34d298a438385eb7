// Package knowledge searches a workspace's help articles. The index is an
// immutable value built from a list of articles. Ranking is BM25F over three
// fields — the title, the intents the article answers (as words) and the
// body — with each article analysed in its own language: stop words
// dropped, words stemmed by a light suffix stemmer (English, Swedish,
// German, Spanish; accents folded for every language), and German and
// Swedish compounds split against the articles' own vocabulary
// ("Rückerstattung" also matches "Erstattung"). Every hit carries a
// coverage figure — how much of the question's meaning the article's words
// account for — that the assistant uses to decide whether a match is clear
// enough to answer from.
package knowledge

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/tandem-desk/tandem/internal/model"
)

// BM25F parameters. The title says most about what an article answers;
// long bodies are normalised more than short titles.
const (
	k1 = 1.2

	titleWeight  = 3.0
	intentWeight = 1.5
	bodyWeight   = 1.0

	titleB  = 0.4
	intentB = 0.3
	bodyB   = 0.75
)

type field int

const (
	fTitle field = iota
	fIntent
	fBody
	nFields
)

var (
	fieldWeight = [nFields]float64{titleWeight, intentWeight, bodyWeight}
	fieldB      = [nFields]float64{titleB, intentB, bodyB}
)

type doc struct {
	article *model.Article
	lang    string
	tf      [nFields]map[string]int
	length  [nFields]int
}

// langStats are the collection statistics of one language's articles:
// idf is computed among the articles a query can match.
type langStats struct {
	n      int
	df     map[string]int
	avgLen [nFields]float64
	vocab  map[string]bool // stems of words of 4+ letters, for compound splitting
}

// Index is a searchable snapshot of articles. It is safe for concurrent use.
type Index struct {
	docs  []doc
	stats map[string]*langStats
}

// Hit is an article that matched a query.
type Hit struct {
	Article *model.Article
	// Score is the BM25F score: only comparable within one query.
	Score float64
	// Coverage in [0,1] is the IDF-weighted share of the query's content
	// terms that the article contains.
	Coverage float64
	// Matched is how many distinct content terms of the query matched.
	Matched int
}

// NewIndex builds an index over the published articles.
func NewIndex(articles []*model.Article) *Index {
	idx := &Index{stats: map[string]*langStats{}}
	// First pass: each language's vocabulary, for splitting compounds.
	for _, a := range articles {
		if !a.Published {
			continue
		}
		st := idx.lang(a.Language)
		for _, w := range words(a.Title + " " + a.Body) {
			if len([]rune(w)) >= 4 && !isStop(w, a.Language) {
				st.vocab[Stem(w, a.Language)] = true
			}
		}
	}
	for _, a := range articles {
		if !a.Published {
			continue
		}
		st := idx.lang(a.Language)
		d := doc{article: a, lang: a.Language}
		texts := [nFields]string{a.Title, intentWords(a), a.Body}
		for f := range nFields {
			d.tf[f] = map[string]int{}
			for _, t := range idx.analyze(texts[f], a.Language) {
				d.tf[f][t]++
				d.length[f]++
			}
		}
		seen := map[string]bool{}
		for f := range nFields {
			for t := range d.tf[f] {
				if !seen[t] {
					seen[t] = true
					st.df[t]++
				}
			}
			st.avgLen[f] += float64(d.length[f])
		}
		st.n++
		idx.docs = append(idx.docs, d)
	}
	for _, st := range idx.stats {
		for f := range nFields {
			if st.n > 0 {
				st.avgLen[f] /= float64(st.n)
			}
			if st.avgLen[f] == 0 {
				st.avgLen[f] = 1
			}
		}
	}
	return idx
}

func (idx *Index) lang(l string) *langStats {
	st := idx.stats[l]
	if st == nil {
		st = &langStats{df: map[string]int{}, vocab: map[string]bool{}}
		idx.stats[l] = st
	}
	return st
}

// intentWords turns the intents an article answers into words ("card_arrival"
// → "card arrival"). Intent names are English, so only English articles get them.
func intentWords(a *model.Article) string {
	if a.Language != "en" {
		return ""
	}
	var b strings.Builder
	for _, in := range a.Intents {
		b.WriteString(strings.ReplaceAll(strings.TrimSuffix(in, "?"), "_", " "))
		b.WriteByte(' ')
	}
	return b.String()
}

// Len is the number of indexed articles.
func (idx *Index) Len() int { return len(idx.docs) }

func (st *langStats) idf(term string) float64 {
	n, df := float64(st.n), float64(st.df[term])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// weight is a query term's share in coverage. A word no article uses says
// little about which article fits ("my NEW card"), so it weighs half as much
// as the rarest word the articles do use, instead of the most of all.
func (st *langStats) weight(term string) float64 {
	if st.df[term] == 0 {
		n := float64(st.n)
		return 0.5 * math.Log(1+(n-0.5)/1.5)
	}
	return st.idf(term)
}

// Search returns up to limit hits for query, best first. language, when
// set, keeps only articles in that language; the query is analysed in the
// language of each article it is compared with.
func (idx *Index) Search(query, language string, limit int) []Hit {
	queries := map[string][]string{} // language → the query's distinct terms
	var hits []Hit
	for i := range idx.docs {
		d := &idx.docs[i]
		if language != "" && d.lang != language {
			continue
		}
		qterms, ok := queries[d.lang]
		if !ok {
			qterms = uniq(idx.analyze(query, d.lang))
			queries[d.lang] = qterms
		}
		if len(qterms) == 0 {
			continue
		}
		st := idx.stats[d.lang]
		syn := synonyms[d.lang]
		var score, covered, total float64
		matched := 0
		for _, t := range qterms {
			total += st.weight(t)
			// The word itself, or the best of its synonyms at a discount.
			best := idx.termScore(d, st, t)
			for _, alt := range syn[t] {
				if s := synonymWeight * idx.termScore(d, st, alt); s > best {
					best = s
				}
			}
			if best == 0 {
				continue
			}
			score += best
			covered += st.weight(t)
			matched++
		}
		if matched == 0 {
			continue
		}
		hits = append(hits, Hit{Article: d.article, Score: score, Coverage: covered / total, Matched: matched})
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Article.ID < hits[j].Article.ID
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// termScore is one term's BM25F contribution to a document's score.
func (idx *Index) termScore(d *doc, st *langStats, t string) float64 {
	var tf float64
	for f := range nFields {
		if n := d.tf[f][t]; n > 0 {
			norm := 1 - fieldB[f] + fieldB[f]*float64(d.length[f])/st.avgLen[f]
			tf += fieldWeight[f] * float64(n) / norm
		}
	}
	if tf == 0 {
		return 0
	}
	return st.idf(t) * tf * (k1 + 1) / (tf + k1)
}

// analyze turns text into the index's terms for language lang: stems of
// the content words, plus the known parts of German and Swedish compounds.
func (idx *Index) analyze(text, lang string) []string {
	var vocab map[string]bool
	if st := idx.stats[lang]; st != nil && (lang == "de" || lang == "sv") {
		vocab = st.vocab
	}
	var out []string
	for _, w := range words(text) {
		if isStop(w, lang) || len([]rune(w)) < 2 {
			continue
		}
		s := Stem(w, lang)
		out = append(out, s)
		if vocab != nil {
			out = append(out, splitCompound(s, vocab)...)
		}
	}
	return out
}

// splitCompound finds the longest known word that ends a compound
// ("ruckerstatt" → "erstatt"), and a known head ("kartensperr" → "kart").
// Both parts must be at least 4 letters and occur in the articles.
func splitCompound(stem string, vocab map[string]bool) []string {
	r := []rune(stem)
	if len(r) < 8 {
		return nil
	}
	var out []string
	for i := 3; i <= len(r)-4; i++ {
		tail := string(r[i:])
		if vocab[tail] && tail != stem {
			out = append(out, tail)
			head := string(r[:i])
			// Linking letters: "Karten|sperre", "betalning|s|plan".
			for _, h := range []string{head, strings.TrimSuffix(head, "s"), strings.TrimSuffix(head, "n")} {
				if len([]rune(h)) >= 4 && vocab[h] {
					out = append(out, h)
					break
				}
			}
			break
		}
	}
	return out
}

// Terms splits English text into lower-cased, stemmed content words,
// dropping stop words.
func Terms(text string) []string { return TermsIn(text, "en") }

// TermsIn is Terms for a language.
func TermsIn(text, lang string) []string {
	var out []string
	for _, w := range words(text) {
		if isStop(w, lang) || len([]rune(w)) < 2 {
			continue
		}
		out = append(out, Stem(w, lang))
	}
	return out
}

// words splits text into lower-case words of letters and digits; an
// apostrophe inside a word is dropped ("didn't" → "didnt").
func words(text string) []string {
	text = strings.NewReplacer("'", "", "’", "").Replace(strings.ToLower(text))
	return strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func uniq(terms []string) []string {
	seen := map[string]bool{}
	out := terms[:0]
	for _, t := range terms {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
