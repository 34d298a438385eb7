// Package knowledge searches a workspace's help articles. The index is an
// immutable value built from a list of articles: ranking is BM25 over title
// and body (the title counted twice), with a light stemmer, and every hit
// carries a coverage figure — how much of the question's meaning the
// article's words account for — that the assistant uses to decide whether a
// match is clear enough to answer from.
package knowledge

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/tandem-desk/tandem/internal/model"
)

// BM25 parameters, the usual defaults.
const (
	k1 = 1.2
	b  = 0.75
)

type doc struct {
	article *model.Article
	terms   map[string]int
	length  int
}

// Index is a searchable snapshot of articles. It is safe for concurrent use.
type Index struct {
	docs   []doc
	df     map[string]int
	avgLen float64
}

// Hit is an article that matched a query.
type Hit struct {
	Article *model.Article
	// Score is the BM25 score: only comparable within one query.
	Score float64
	// Coverage in [0,1] is the IDF-weighted share of the query's content
	// terms that the article contains.
	Coverage float64
	// Matched is how many distinct content terms of the query matched.
	Matched int
}

// NewIndex builds an index over the published articles.
func NewIndex(articles []*model.Article) *Index {
	idx := &Index{df: map[string]int{}}
	total := 0
	for _, a := range articles {
		if !a.Published {
			continue
		}
		terms := map[string]int{}
		n := 0
		for _, t := range Terms(a.Title + " " + a.Title + " " + a.Body) {
			terms[t]++
			n++
		}
		for t := range terms {
			idx.df[t]++
		}
		idx.docs = append(idx.docs, doc{article: a, terms: terms, length: n})
		total += n
	}
	if len(idx.docs) > 0 {
		idx.avgLen = float64(total) / float64(len(idx.docs))
	}
	return idx
}

// Len is the number of indexed articles.
func (idx *Index) Len() int { return len(idx.docs) }

func (idx *Index) idf(term string) float64 {
	n := float64(len(idx.docs))
	df := float64(idx.df[term])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// weight is a query term's share in coverage. A word no article uses says
// little about which article fits ("my NEW card"), so it weighs half as much
// as the rarest word the articles do use, instead of the most of all.
func (idx *Index) weight(term string) float64 {
	if idx.df[term] == 0 {
		n := float64(len(idx.docs))
		return 0.5 * math.Log(1+(n-0.5)/1.5)
	}
	return idx.idf(term)
}

// Search returns up to limit hits for query, best first. language, when
// set, keeps only articles in that language.
func (idx *Index) Search(query, language string, limit int) []Hit {
	qterms := uniq(Terms(query))
	if len(qterms) == 0 {
		return nil
	}
	var totalIDF float64
	for _, t := range qterms {
		totalIDF += idx.weight(t)
	}
	var hits []Hit
	for _, d := range idx.docs {
		if language != "" && d.article.Language != language {
			continue
		}
		var score, covered float64
		matched := 0
		for _, t := range qterms {
			tf := float64(d.terms[t])
			if tf == 0 {
				continue
			}
			idf := idx.idf(t)
			score += idf * tf * (k1 + 1) / (tf + k1*(1-b+b*float64(d.length)/idx.avgLen))
			covered += idx.weight(t)
			matched++
		}
		if matched == 0 {
			continue
		}
		hits = append(hits, Hit{Article: d.article, Score: score, Coverage: covered / totalIDF, Matched: matched})
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

// Terms splits text into lower-cased, stemmed content words, dropping stop words.
func Terms(text string) []string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	out := words[:0]
	for _, w := range words {
		if stopWords[w] || len([]rune(w)) < 2 {
			continue
		}
		out = append(out, stem(w))
	}
	return out
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

// stem strips common English inflections so that "refunds", "refunded" and
// "refunding" meet. It is deliberately light: a wrong merge costs more than a
// missed one.
func stem(w string) string {
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			base := strings.TrimSuffix(w, suf)
			if suf == "es" && !strings.HasSuffix(base, "s") && !strings.HasSuffix(base, "x") && !strings.HasSuffix(base, "sh") && !strings.HasSuffix(base, "ch") {
				base = strings.TrimSuffix(w, "s")
			}
			if strings.HasSuffix(w, "ss") && suf == "s" {
				return w
			}
			return base
		}
	}
	return w
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but if of to in on at by for with from about as into
		is are was were be been being am do does did doing have has had having can could would should will shall may might must
		i me my mine we us our you your yours he him his she her it its they them their this that these those
		what which who whom when where why how there here not no so too very just also than then now
		hi hello hey please thanks thank ok okay yes any some all get got want need know tell help`) {
		m[w] = true
	}
	return m
}()
