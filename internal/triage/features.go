package triage

import (
	"math"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Feature extraction for the intent classifier.
//
// A message is lower-cased and split into word tokens (letters and digits;
// apostrophes are dropped so "hasn't" and "hasnt" agree; currency and other
// symbols become one-character tokens; every digit is mapped to '0'). Two
// blocks of features are drawn from it:
//
//   - word n-grams (1..WordMaxN), and
//   - character n-grams (CharMinN..CharMaxN) inside each word padded with a
//     space on both sides (scikit-learn's "char_wb"), which makes the model
//     robust to typos and inflection.
//
// Each n-gram is identified by a 64-bit FNV-1a hash (no strings are kept, so
// extraction allocates nothing and the model file stores 8 bytes a feature).
// The value of a feature is sublinear TF-IDF, (1+ln tf)·idf, and each block
// is L2-normalised separately and then multiplied by its block weight.

const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211

	seedWord = 0x77 // 'w'
	seedChar = 0x63 // 'c'
)

// featureConfig is the part of the hyper-parameters that defines the vector
// space; it is stored with a model.
type featureConfig struct {
	WordMaxN   int     `json:"word_max_n"`
	CharMinN   int     `json:"char_min_n"`
	CharMaxN   int     `json:"char_max_n"`
	WordWeight float64 `json:"word_weight"`
	CharWeight float64 `json:"char_weight"`
	// FoldAccents maps letters to their base letter ("när" → "nar",
	// "straße" → "strasse"), as people type them on a phone or a foreign
	// keyboard; models without it read accents as written.
	FoldAccents bool `json:"fold_accents,omitempty"`
}

// vocab maps n-gram hashes to feature indices. Word features come first:
// indices [0, nWord) are word n-grams, [nWord, len) character n-grams.
type vocab struct {
	cfg    featureConfig
	index  map[uint64]int32
	hashes []uint64  // by feature index
	idf    []float32 // by feature index
	nWord  int
}

func (v *vocab) size() int { return len(v.hashes) }

// sparseVec is a sparse feature vector: parallel index/value slices.
type sparseVec struct {
	idx []int32
	val []float32
}

// extractScratch holds the reusable buffers of one extraction.
type extractScratch struct {
	norm   []rune
	words  [][2]int // [start,end) in norm
	hashes []uint64
	padded []rune
	vec    sparseVec
	scores []float64
	acc    []float32
}

var scratchPool = sync.Pool{New: func() any { return new(extractScratch) }}

// normalizeRunes lower-cases text into dst (folding accents when fold is
// set) and records word boundaries.
func normalizeRunes(text string, fold bool, dst []rune, words [][2]int) ([]rune, [][2]int) {
	dst = dst[:0]
	words = words[:0]
	start := -1
	flush := func() {
		if start >= 0 && len(dst) > start {
			words = append(words, [2]int{start, len(dst)})
		}
		start = -1
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == '\'' || r == '’' || r == '‘' || r == '`':
			// dropped: "hasn't" → "hasnt"
		case unicode.IsLetter(r) || unicode.IsMark(r):
			if start < 0 {
				start = len(dst)
			}
			r = unicode.ToLower(r)
			if fold {
				if unicode.IsMark(r) {
					continue // a combining accent of a decomposed letter
				}
				if f, ok := accentFold[r]; ok {
					dst = append(dst, []rune(f)...)
					continue
				}
			}
			dst = append(dst, r)
		case unicode.IsDigit(r):
			if start < 0 {
				start = len(dst)
			}
			dst = append(dst, '0')
		case unicode.IsSymbol(r) && r != '^' && r != '`' && r != '|' && r != '~' && r != '+' && r != '=' && r != '<' && r != '>':
			// currency and similar: a token of its own
			flush()
			words = append(words, [2]int{len(dst), len(dst) + 1})
			dst = append(dst, r)
		default:
			flush()
		}
	}
	flush()
	return dst, words
}

func hashRunes(h uint64, rs []rune) uint64 {
	for _, r := range rs {
		if r < utf8.RuneSelf {
			h ^= uint64(r)
			h *= fnvPrime64
			continue
		}
		var b [4]byte
		n := utf8.EncodeRune(b[:], r)
		for _, c := range b[:n] {
			h ^= uint64(c)
			h *= fnvPrime64
		}
	}
	return h
}

func hashByte(h uint64, c byte) uint64 {
	h ^= uint64(c)
	return h * fnvPrime64
}

// ngramHashes appends the hashes of all word and character n-grams of the
// normalised text to dst. Word hashes and char hashes are kept in separate
// hash spaces by their seed.
func ngramHashes(cfg featureConfig, norm []rune, words [][2]int, padded []rune, dst []uint64) ([]uint64, []rune) {
	// word n-grams
	for i := range words {
		h := hashByte(fnvOffset64, seedWord)
		for n := 0; n < cfg.WordMaxN && i+n < len(words); n++ {
			if n > 0 {
				h = hashByte(h, ' ')
			}
			w := words[i+n]
			h = hashRunes(h, norm[w[0]:w[1]])
			dst = append(dst, h)
		}
	}
	// character n-grams inside padded words
	if cfg.CharMaxN > 0 {
		for _, w := range words {
			padded = append(padded[:0], ' ')
			padded = append(padded, norm[w[0]:w[1]]...)
			padded = append(padded, ' ')
			L := len(padded)
			if L < cfg.CharMinN {
				continue
			}
			for s := 0; s < L; s++ {
				h := hashByte(fnvOffset64, seedChar)
				for n := 1; n <= cfg.CharMaxN && s+n <= L; n++ {
					h = hashRunes(h, padded[s+n-1:s+n])
					if n >= cfg.CharMinN {
						dst = append(dst, h)
					}
				}
			}
		}
	}
	return dst, padded
}

// rawCounts turns text into sorted (hash, count) pairs, written into
// sc.hashes (deduplicated) and counts.
func (sc *extractScratch) hashText(cfg featureConfig, text string) []uint64 {
	sc.norm, sc.words = normalizeRunes(text, cfg.FoldAccents, sc.norm, sc.words)
	sc.hashes, sc.padded = ngramHashes(cfg, sc.norm, sc.words, sc.padded, sc.hashes[:0])
	slices.Sort(sc.hashes)
	return sc.hashes
}

// vectorize computes the TF-IDF vector of text into sc.vec (reusing its
// buffers) and returns it. Unknown n-grams are ignored.
func (v *vocab) vectorize(sc *extractScratch, text string) sparseVec {
	hs := sc.hashText(v.cfg, text)
	vec := sparseVec{idx: sc.vec.idx[:0], val: sc.vec.val[:0]}
	var wn, cn float64
	for i := 0; i < len(hs); {
		j := i + 1
		for j < len(hs) && hs[j] == hs[i] {
			j++
		}
		if f, ok := v.index[hs[i]]; ok {
			x := (1 + math.Log(float64(j-i))) * float64(v.idf[f])
			vec.idx = append(vec.idx, f)
			vec.val = append(vec.val, float32(x))
			if int(f) < v.nWord {
				wn += x * x
			} else {
				cn += x * x
			}
		}
		i = j
	}
	ws, cs := 0.0, 0.0
	if wn > 0 {
		ws = v.cfg.WordWeight / math.Sqrt(wn)
	}
	if cn > 0 {
		cs = v.cfg.CharWeight / math.Sqrt(cn)
	}
	for k, f := range vec.idx {
		if int(f) < v.nWord {
			vec.val[k] = float32(float64(vec.val[k]) * ws)
		} else {
			vec.val[k] = float32(float64(vec.val[k]) * cs)
		}
	}
	sc.vec = vec
	return vec
}

// buildVocab collects the n-grams of docs that occur in at least minDF
// documents and computes smoothed IDF weights, idf = ln((1+N)/(1+df)) + 1.
func buildVocab(cfg featureConfig, docs []string, minDF int) *vocab {
	type stat struct {
		df   int32
		word bool
	}
	stats := make(map[uint64]*stat, 1<<17)
	sc := new(extractScratch)
	var wordHashes []uint64
	for _, d := range docs {
		sc.norm, sc.words = normalizeRunes(d, cfg.FoldAccents, sc.norm, sc.words)
		// word hashes alone, to tag the block of each hash
		wcfg := cfg
		wcfg.CharMaxN = 0
		wordHashes, sc.padded = ngramHashes(wcfg, sc.norm, sc.words, sc.padded, wordHashes[:0])
		slices.Sort(wordHashes)
		wordHashes = slices.Compact(wordHashes)
		all := sc.hashText(cfg, d)
		all = slices.Compact(all)
		for _, h := range all {
			s := stats[h]
			if s == nil {
				_, isWord := slices.BinarySearch(wordHashes, h)
				s = &stat{word: isWord}
				stats[h] = s
			}
			s.df++
		}
	}
	var words, chars []uint64
	for h, s := range stats {
		if int(s.df) < minDF {
			continue
		}
		if s.word {
			words = append(words, h)
		} else {
			chars = append(chars, h)
		}
	}
	slices.Sort(words)
	slices.Sort(chars)
	v := &vocab{cfg: cfg, nWord: len(words)}
	v.hashes = append(words, chars...)
	v.idf = make([]float32, len(v.hashes))
	v.index = make(map[uint64]int32, len(v.hashes))
	n := float64(len(docs))
	for i, h := range v.hashes {
		v.index[h] = int32(i)
		v.idf[i] = float32(math.Round((math.Log((1+n)/(1+float64(stats[h].df)))+1)*idfScale) / idfScale)
	}
	return v
}

// accentFold maps the lower-case accented Latin letters of the languages the
// default model reads (and their neighbours) to what people type without
// them.
var accentFold = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i"}
	for base, letters := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ď", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ",
		"i": "ìíîïĩīĭįi̇", "j": "ĵ", "k": "ķ", "l": "ĺļľŀ", "n": "ñńņňŉ", "o": "òóôõöōŏő",
		"r": "ŕŗř", "s": "śŝşšș", "t": "ţťŧț", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range letters {
			if r != 'i' && r != '\u0307' {
				m[r] = base
			}
		}
	}
	return m
}()
