package triage

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
)

// Model file format (version 1), gzip-compressed:
//
//	magic "TANDEM-INTENT\n", version byte 1
//	uvarint n, n bytes of JSON header (intents, sizes, temperature,
//	  calibration table, how the model was made)
//	n-gram hashes: word block then char block, each sorted ascending and
//	  delta-coded as uvarints
//	idf: uint16 per feature, idf·4096
//	bias: float32 per class
//	weights: per feature a float32 scale then one int8 per class
//	  (w = scale·q, q in -127..127: per-row symmetric quantisation)
//	CRC-32 (IEEE) of all of the above, big-endian uint32
//
// Weights are quantised to 8 bits on writing, so a model read back predicts
// (training ends with the same quantisation, so a model read back predicts
// exactly what the model written did).

const (
	modelMagic   = "TANDEM-INTENT\n"
	modelVersion = 1
	idfScale     = 4096
)

type modelHeader struct {
	Intents []string     `json:"intents"`
	NClass  int          `json:"n_class"`
	NWord   int          `json:"n_word"`
	NFeat   int          `json:"n_feat"`
	Temp    float64      `json:"temperature"`
	Calib   []calibPoint `json:"calibration"`
	Meta    modelMeta    `json:"meta"`
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteTo writes the model in its compact binary format (see above).
func (m *IntentModel) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	zw, err := gzip.NewWriterLevel(cw, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	crc := crc32.NewIEEE()
	bw := bufio.NewWriterSize(io.MultiWriter(zw, crc), 1<<16)
	var tmp [binary.MaxVarintLen64]byte
	uv := func(x uint64) { bw.Write(tmp[:binary.PutUvarint(tmp[:], x)]) }

	bw.WriteString(modelMagic)
	bw.WriteByte(modelVersion)
	meta := m.meta
	meta.Temperature = m.temp
	hdr, err := json.Marshal(modelHeader{Intents: m.intents, NClass: m.nClass, NWord: m.voc.nWord,
		NFeat: m.voc.size(), Temp: m.temp, Calib: m.calib, Meta: meta})
	if err != nil {
		return 0, err
	}
	uv(uint64(len(hdr)))
	bw.Write(hdr)
	var prev uint64
	for i, h := range m.voc.hashes {
		if i == 0 || i == m.voc.nWord {
			prev = 0
		}
		uv(h - prev)
		prev = h
	}
	for _, x := range m.voc.idf {
		binary.Write(bw, binary.LittleEndian, uint16(math.Round(min(float64(x)*idfScale, 65535))))
	}
	for _, b := range m.bias {
		binary.Write(bw, binary.LittleEndian, math.Float32bits(b))
	}
	C := m.nClass
	q := make([]byte, C)
	for f := range m.voc.size() {
		row := m.w[f*C : f*C+C]
		scale := m.rowScale[f]
		binary.Write(bw, binary.LittleEndian, math.Float32bits(scale))
		for c, v := range row {
			if scale == 0 {
				q[c] = 0
			} else {
				q[c] = byte(int8(max(-127, min(127, math.Round(float64(v/scale))))))
			}
		}
		bw.Write(q)
	}
	if err := bw.Flush(); err != nil {
		return cw.n, err
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc.Sum32())
	if _, err := zw.Write(sum[:]); err != nil {
		return cw.n, err
	}
	if err := zw.Close(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

var errNotModel = errors.New("triage: not a Tandem intent model file")

// ReadIntentModel reads a model written by WriteTo. A file of another kind,
// another version, or one that is truncated or corrupt is rejected with an
// error that says so.
func ReadIntentModel(r io.Reader) (*IntentModel, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w (not gzip: %v)", errNotModel, err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("triage: intent model file is corrupt: %w", err)
	}
	if len(raw) < len(modelMagic)+1+4 || string(raw[:len(modelMagic)]) != modelMagic {
		return nil, errNotModel
	}
	if v := raw[len(modelMagic)]; v != modelVersion {
		return nil, fmt.Errorf("triage: intent model format version %d, this build reads version %d", v, modelVersion)
	}
	body, sum := raw[:len(raw)-4], binary.BigEndian.Uint32(raw[len(raw)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errors.New("triage: intent model file is corrupt (checksum mismatch)")
	}
	br := bytes.NewReader(body[len(modelMagic)+1:])
	corrupt := func(what string) error { return fmt.Errorf("triage: intent model file is corrupt (%s)", what) }
	n, err := binary.ReadUvarint(br)
	if err != nil || n > uint64(br.Len()) {
		return nil, corrupt("header length")
	}
	hb := make([]byte, n)
	io.ReadFull(br, hb)
	var h modelHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, corrupt("header: " + err.Error())
	}
	nIn := len(h.Intents)
	if nIn < 2 || (h.NClass != nIn && h.NClass != nIn+1) || h.NFeat < 1 || h.NWord < 0 || h.NWord > h.NFeat ||
		!(h.Temp > 0) || h.NFeat > 1<<24 {
		return nil, corrupt("header sizes")
	}
	if !slices.IsSorted(h.Intents) {
		return nil, corrupt("intents not sorted")
	}
	cfg := h.Meta.Features
	if cfg.WordMaxN < 0 || cfg.WordMaxN > 4 || cfg.CharMaxN < 0 || cfg.CharMaxN > 8 || cfg.CharMinN > cfg.CharMaxN {
		return nil, corrupt("feature settings")
	}
	C, F := h.NClass, h.NFeat
	if need := F*(1+2+4+C) + 4*C; br.Len() < need {
		return nil, corrupt("truncated")
	}
	voc := &vocab{cfg: cfg, nWord: h.NWord, hashes: make([]uint64, F), idf: make([]float32, F),
		index: make(map[uint64]int32, F)}
	var prev uint64
	for i := range F {
		if i == 0 || i == h.NWord {
			prev = 0
		}
		d, err := binary.ReadUvarint(br)
		if err != nil {
			return nil, corrupt("hashes")
		}
		prev += d
		voc.hashes[i] = prev
		voc.index[prev] = int32(i)
	}
	if len(voc.index) != F {
		return nil, corrupt("duplicate features")
	}
	rest := make([]byte, br.Len())
	io.ReadFull(br, rest)
	if len(rest) != F*2+C*4+F*(4+C) {
		return nil, corrupt("section sizes")
	}
	for i := range F {
		voc.idf[i] = float32(binary.LittleEndian.Uint16(rest[2*i:])) / idfScale
	}
	rest = rest[2*F:]
	m := &IntentModel{voc: voc, intents: h.Intents, nClass: C, temp: h.Temp, calib: h.Calib, meta: h.Meta,
		bias: make([]float32, C), w: make([]float32, F*C), rowScale: make([]float32, F)}
	for c := range C {
		m.bias[c] = math.Float32frombits(binary.LittleEndian.Uint32(rest[4*c:]))
	}
	rest = rest[4*C:]
	for f := range F {
		scale := math.Float32frombits(binary.LittleEndian.Uint32(rest))
		if math.IsNaN(float64(scale)) || math.IsInf(float64(scale), 0) {
			return nil, corrupt("weights")
		}
		m.rowScale[f] = scale
		row := rest[4 : 4+C]
		for c, q := range row {
			m.w[f*C+c] = scale * float32(int8(q))
		}
		rest = rest[4+C:]
	}
	return m, nil
}

// quantize rounds the weights to the 8-bit per-row grid of the file format
// (the IDF weights are already on their 1/4096 grid), so that writing and reading a
// model changes nothing.
func (m *IntentModel) quantize() {
	C := m.nClass
	m.rowScale = make([]float32, m.voc.size())
	for f := range m.voc.size() {
		row := m.w[f*C : f*C+C]
		var mx float32
		for _, v := range row {
			mx = max(mx, float32(math.Abs(float64(v))))
		}
		scale := mx / 127
		m.rowScale[f] = scale
		for c, v := range row {
			if scale == 0 {
				row[c] = 0
				continue
			}
			q := int8(max(-127, min(127, math.Round(float64(v/scale)))))
			row[c] = scale * float32(q)
		}
	}
}
