//go:build ignore

// gen derives the compact character n-gram tables in ngrams.bin from the
// language models that github.com/pemistahl/lingua-go (Apache-2.0) ships
// inside its module, plus small Maltese and Galician profiles counted from
// mt_corpus.txt and gl_corpus.txt (lingua has neither). See NOTICE.
//
//	go mod download github.com/pemistahl/lingua-go@v1.4.0
//	go run ./internal/triage/langdata/gen.go [-k1 N -k2 N -k3 N -k4 N]
//
// It reads only the module cache and stdlib; the main module does not depend
// on lingua-go.
package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// Internal model classes, in the order the detector expects them (see
// modelLangs in language_model.go). nb and nn both report "no".
var groups = [][]string{
	{"af", "ca", "cs", "da", "de", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "id", "is", "it", "lt", "lv", "mt", "nb", "nl", "nn", "pl", "pt", "ro", "sk", "sl", "sv", "sw", "tr", "vi",
		"az", "bs", "eu", "gl", "ms", "sq"},
	{"bg", "ru", "sr", "uk", "be", "kk", "mk", "mn"},
	{"ar", "fa", "ur"},
}

const linguaVersion = "v1.4.0"

// corpus names the hand-written texts counted for the languages lingua has
// no model of.
var corpus = map[string]string{"mt": "mt_corpus.txt", "gl": "gl_corpus.txt"}

var (
	k1  = flag.Int("k1", 120, "unigrams kept per language")
	k2  = flag.Int("k2", 900, "bigrams kept per language")
	k3  = flag.Int("k3", 5000, "trigrams kept per language")
	k4  = flag.Int("k4", 10000, "quadrigrams kept per language")
	out = flag.String("o", "", "output file (default: ngrams.bin beside this file)")
)

func main() {
	flag.Parse()
	dir := filepath.Join(modcache(), "github.com", "pemistahl", "lingua-go@"+linguaVersion, "language-models")
	if _, err := os.Stat(dir); err != nil {
		fail(fmt.Errorf("%v (run: go mod download github.com/pemistahl/lingua-go@%s)", err, linguaVersion))
	}
	here := "internal/triage/langdata"
	if *out == "" {
		*out = filepath.Join(here, "ngrams.bin")
	}
	ks := []int{0, *k1, *k2, *k3, *k4}

	var langs []string
	for _, g := range groups {
		langs = append(langs, g...)
	}
	// key -> list of (lang index, quantised -log p)
	table := map[uint64][]uint16{}
	for li, lang := range langs {
		var models [5]map[string]float64 // conditional probabilities per order
		if corpus[lang] != "" {
			text, err := os.ReadFile(filepath.Join(here, corpus[lang]))
			if err != nil {
				fail(err)
			}
			models = countCorpus(string(text))
		} else {
			for n := 1; n <= 4; n++ {
				if ks[n] == 0 {
					continue
				}
				m, err := loadLingua(dir, lang, n)
				if err != nil {
					fail(err)
				}
				models[n] = m
			}
		}
		for n := 1; n <= 4; n++ {
			if ks[n] == 0 || models[n] == nil {
				continue
			}
			type kv struct {
				g     string
				joint float64
				cond  float64
			}
			var list []kv
			for g, p := range models[n] {
				r := []rune(g)
				if !allOK(r) {
					continue
				}
				joint := p
				ok := true
				for j := 1; j < len(r); j++ { // P(a)P(b|a)P(c|ab)...
					q, found := models[j][string(r[:j])]
					if models[j] == nil || !found {
						ok = false
						break
					}
					joint *= q
				}
				if !ok {
					continue
				}
				list = append(list, kv{g, joint, p})
			}
			sort.Slice(list, func(i, j int) bool {
				if list[i].joint != list[j].joint {
					return list[i].joint > list[j].joint
				}
				return list[i].g < list[j].g
			})
			if len(list) > ks[n] {
				list = list[:ks[n]]
			}
			for _, e := range list {
				key, ok := packKey([]rune(e.g))
				if !ok {
					continue
				}
				table[key] = append(table[key], uint16(li)<<8|uint16(quant(e.cond)))
			}
		}
	}

	keys := make([]uint64, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })

	var buf bytes.Buffer
	w := func(v any) { binary.Write(&buf, binary.LittleEndian, v) }
	buf.WriteString("TLNG")
	w(uint16(len(langs)))
	for _, g := range groups {
		w(uint16(len(g)))
	}
	for _, l := range langs {
		buf.WriteString(l)
	}
	w(uint32(len(keys)))
	nent := 0
	for _, k := range keys {
		nent += len(table[k])
	}
	w(uint32(nent))
	for _, k := range keys {
		w(k)
	}
	off := uint32(0)
	for _, k := range keys {
		w(off)
		off += uint32(len(table[k]))
	}
	w(off)
	for _, k := range keys {
		e := table[k]
		sort.Slice(e, func(i, j int) bool { return e[i] < e[j] })
		w(e)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("%s: %d langs, %d keys, %d entries, %d bytes (k=%v)\n", *out, len(langs), len(keys), nent, buf.Len(), ks[1:])
}

// quant maps a probability to 0..255 in steps of 1/16 nat of -log p.
func quant(p float64) uint8 {
	v := math.Round(-math.Log(p) * 16)
	if v < 0 {
		v = 0
	}
	if v > 255 {
		v = 255
	}
	return uint8(v)
}

func allOK(r []rune) bool {
	for _, c := range r {
		if c > 0xFFFF || !unicode.IsLetter(c) && !unicode.Is(unicode.Mn, c) && !unicode.Is(unicode.Mc, c) {
			return false
		}
	}
	return true
}

// packKey packs up to four BMP runes, 16 bits each; must match the detector.
func packKey(r []rune) (uint64, bool) {
	var k uint64
	for _, c := range r {
		if c > 0xFFFF || c == 0 {
			return 0, false
		}
		k = k<<16 | uint64(c)
	}
	return k, true
}

// countCorpus builds conditional n-gram probabilities (orders 1-4) from a
// small hand-written text, the same way lingua counts its training data:
// inside words only, lower-cased.
func countCorpus(text string) [5]map[string]float64 {
	var counts [5]map[string]int
	for n := range counts {
		counts[n] = map[string]int{}
	}
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) })
	for _, w := range words {
		r := []rune(w)
		for n := 1; n <= 4; n++ {
			for i := 0; i+n <= len(r); i++ {
				counts[n][string(r[i:i+n])]++
			}
		}
	}
	var models [5]map[string]float64
	total := 0
	for _, c := range counts[1] {
		total += c
	}
	for n := 1; n <= 4; n++ {
		models[n] = map[string]float64{}
		for g, c := range counts[n] {
			if n == 1 {
				models[n][g] = float64(c) / float64(total)
				continue
			}
			r := []rune(g)
			// absolute discounting: a tiny corpus must not claim P=1
			models[n][g] = (float64(c) - 0.4) / float64(counts[n-1][string(r[:n-1])])
		}
	}
	return models
}

var orderName = []string{"", "unigrams", "bigrams", "trigrams", "quadrigrams"}

func loadLingua(dir, lang string, n int) (map[string]float64, error) {
	b, err := os.ReadFile(filepath.Join(dir, lang, orderName[n]+".pb.bin.zip"))
	if err != nil {
		return nil, err
	}
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	f, err := z.File[0].Open()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	m := map[string]float64{}
	// SerializableLanguageModel: 4 = repeated SerializableNgramSet
	// SerializableNgramSet: 1 = double probability, 2 = repeated string ngrams
	err = eachField(data, func(field int, wire int, v uint64, payload []byte) error {
		if field != 4 || wire != 2 {
			return nil
		}
		var prob float64
		var grams []string
		if err := eachField(payload, func(f2, w2 int, v2 uint64, p2 []byte) error {
			switch {
			case f2 == 1 && w2 == 1:
				prob = math.Float64frombits(v2)
			case f2 == 2 && w2 == 2:
				grams = append(grams, string(p2))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, g := range grams {
			m[g] = prob
		}
		return nil
	})
	return m, err
}

// eachField walks one level of protobuf wire format.
func eachField(b []byte, fn func(field, wire int, v uint64, payload []byte) error) error {
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("bad tag")
		}
		b = b[n:]
		field, wire := int(tag>>3), int(tag&7)
		var v uint64
		var payload []byte
		switch wire {
		case 0:
			v, n = binary.Uvarint(b)
			if n <= 0 {
				return errors.New("bad varint")
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return errors.New("short fixed64")
			}
			v = binary.LittleEndian.Uint64(b)
			b = b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return errors.New("bad length")
			}
			payload = b[n : n+int(l)]
			b = b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return errors.New("short fixed32")
			}
			v = uint64(binary.LittleEndian.Uint32(b))
			b = b[4:]
		default:
			return fmt.Errorf("unsupported wire type %d", wire)
		}
		if err := fn(field, wire, v, payload); err != nil {
			return err
		}
	}
	return nil
}

func modcache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		fail(err)
	}
	return strings.TrimSpace(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
