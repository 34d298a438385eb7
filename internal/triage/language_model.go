package triage

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// The n-gram tables are derived by langdata/gen.go from the language models
// shipped in github.com/pemistahl/lingua-go (Apache-2.0, see
// langdata/NOTICE), pruned to the most frequent n-grams per language. Each
// entry is -log P(last char | previous chars) in 1/16 nat steps for one
// language; lookups back off from 4-grams to trigrams, bigrams, unigrams.
//
//go:embed langdata/ngrams.bin
var ngramData string

// Script groups that need a statistical model; every other script decides
// the language by itself (see scriptOf).
const (
	langGroupLatin = iota
	langGroupCyrillic
	langGroupArabic
	numLangGroups
)

// maxLangClasses bounds the number of internal model classes (nb and nn are two
// classes that both report "no"); scores live in fixed arrays of this size
// so a detection allocates nothing.
const maxLangClasses = 48

type ngramModel struct {
	classes    []string // internal class codes, index = class id
	groupStart [numLangGroups + 1]int
	// open-addressing hash table: slot -> key index+1 (0 = empty)
	slots []uint32
	mask  uint64
	keys  []uint64
	offs  []uint32 // entries of key i are ents[offs[i]:offs[i+1]]
	ents  []uint16 // class<<8 | quantised -log p

	outputs []string          // reported code per class ("nb", "nn" → "no")
	words   map[string]uint64 // function word → bit set of classes
	quads   bool              // the tables hold quadrigrams
}

var (
	langModelOnce sync.Once
	langModel     *ngramModel
)

// loadedModel returns the model, building it on first use.
func loadedModel() *ngramModel {
	langModelOnce.Do(func() { langModel = newLanguageModel() })
	return langModel
}

// newLanguageModel decodes the embedded tables and indexes the function
// words: a few MB of heap and a few milliseconds, once per process.
func newLanguageModel() *ngramModel {
	m := parseNgramModel(ngramData)
	m.outputs = make([]string, len(m.classes))
	for c, code := range m.classes {
		switch code {
		case "nb", "nn":
			m.outputs[c] = "no"
		default:
			m.outputs[c] = code
		}
	}
	m.words = make(map[string]uint64, 2048)
	for _, fw := range functionWords {
		c := slices.Index(m.classes, fw.lang)
		if c < 0 {
			panic("triage: function words for unknown language " + fw.lang)
		}
		for _, w := range strings.Fields(fw.words) {
			m.words[w] |= 1 << c
		}
	}
	return m
}

func parseNgramModel(d string) *ngramModel {
	if len(d) < 8 || d[:4] != "TLNG" {
		panic("triage: bad langdata/ngrams.bin")
	}
	p := 4
	u16 := func() int { v := int(langRd16(d, p)); p += 2; return v }
	u32 := func() int { v := int(langRd32(d, p)); p += 4; return v }
	m := &ngramModel{}
	n := u16()
	if n > maxLangClasses {
		panic("triage: too many language classes")
	}
	for g := 0; g < numLangGroups; g++ {
		m.groupStart[g+1] = m.groupStart[g] + u16()
	}
	for i := 0; i < n; i++ {
		m.classes = append(m.classes, d[p:p+2])
		p += 2
	}
	nkeys, nents := u32(), u32()
	m.keys = make([]uint64, nkeys)
	for i := range m.keys {
		m.keys[i] = uint64(langRd32(d, p)) | uint64(langRd32(d, p+4))<<32
		p += 8
	}
	m.offs = make([]uint32, nkeys+1)
	for i := range m.offs {
		m.offs[i] = langRd32(d, p)
		p += 4
	}
	m.ents = make([]uint16, nents)
	for i := range m.ents {
		m.ents[i] = langRd16(d, p)
		p += 2
	}
	size := 1
	for size < 2*nkeys {
		size <<= 1
	}
	m.slots = make([]uint32, size)
	m.mask = uint64(size - 1)
	for i, k := range m.keys {
		if k>>48 != 0 {
			m.quads = true
		}
		h := ngramHash(k) & m.mask
		for m.slots[h] != 0 {
			h = (h + 1) & m.mask
		}
		m.slots[h] = uint32(i + 1)
	}
	return m
}

func langRd16(s string, i int) uint16 { return uint16(s[i]) | uint16(s[i+1])<<8 }
func langRd32(s string, i int) uint32 { return uint32(langRd16(s, i)) | uint32(langRd16(s, i+2))<<16 }

func ngramHash(k uint64) uint64 {
	k ^= k >> 29
	k *= 0xbf58476d1ce4e5b9
	k ^= k >> 32
	return k
}

// lookup returns the entries for a packed n-gram key.
func (m *ngramModel) lookup(k uint64) []uint16 {
	h := ngramHash(k) & m.mask
	for {
		s := m.slots[h]
		if s == 0 {
			return nil
		}
		if m.keys[s-1] == k {
			return m.ents[m.offs[s-1]:m.offs[s]]
		}
		h = (h + 1) & m.mask
	}
}

// Scoring constants in 1/16 nat units (the table's quantisation).
const (
	ngramFloorCost   = 14 * 16 // a character the language's model has never seen
	ngramBackoffCost = 8       // per step down the orders: 4-gram, trigram, bigram, unigram
)

// scoreWord adds the negative log-likelihood of one lower-cased word under
// each class in [lo,hi) to cost: for every character, the cost of the
// longest n-gram ending there that the class's table holds (4-gram, trigram,
// bigram, unigram, each step down costing ngramBackoffCost more), or ngramFloorCost.
func (m *ngramModel) scoreWord(w []rune, lo, hi int, cost *[maxLangClasses]int32) {
	var cur [maxLangClasses]int32
	for i := range w {
		for c := lo; c < hi; c++ {
			cur[c] = ngramFloorCost
		}
		c0 := uint64(w[i])
		for _, e := range m.lookup(c0) {
			cur[e>>8] = int32(e&0xff) + 2*ngramBackoffCost
		}
		if i >= 1 {
			k2 := uint64(w[i-1])<<16 | c0
			for _, e := range m.lookup(k2) {
				cur[e>>8] = int32(e&0xff) + ngramBackoffCost
			}
			if i >= 2 {
				k3 := uint64(w[i-2])<<32 | k2
				for _, e := range m.lookup(k3) {
					cur[e>>8] = int32(e & 0xff)
				}
				if i >= 3 && m.quads {
					for _, e := range m.lookup(uint64(w[i-3])<<48 | k3) {
						cur[e>>8] = int32(e&0xff) - ngramBackoffCost
					}
				}
			}
		}
		for c := lo; c < hi; c++ {
			cost[c] += cur[c]
		}
	}
}
