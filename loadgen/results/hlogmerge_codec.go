package results

// A decoder and an encoder for HdrHistogram V2 compressed histograms (the
// base64 "HISTF…" payload of an interval log line) that work on a plain
// []int64 counts array in HdrHistogram index order, so that merging interval
// logs does not allocate a histogram per line. The geometry arithmetic and
// every validation step mirror hdrhistogram-go v1.4.0 (hdr.go, wireGeometry;
// hdr_encoding.go, Decode and fillCountsArrayFromSourceBuffer; zigzag.go):
// whatever hdrDecoder accepts, hdr.Decode accepts with the same counts
// (FuzzHLogDecode checks this).

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"

	kzlib "github.com/klauspost/compress/zlib"
)

const (
	hdrCompressedCookie = 0x1c849304 // V2 compressed, cookie base (& ^0xf0)
	hdrPayloadCookie    = 0x1c849303 // V2 uncompressed, cookie base
	hdrHeaderSize       = 40         // cookie, payload length, offset, digits, lowest, highest, ratio
)

// hdrGeometry is the bucket layout of a histogram as its V2 header declares
// it (hdrhistogram-go's wireGeometry: no clamping except lowest < 1 → 1).
type hdrGeometry struct {
	lowest, highest int64
	sigFigs         int32

	unitMagnitude  int64
	halfMagnitude  int32 // subBucketHalfCountMagnitude
	halfCount      int32 // subBucketHalfCount
	subBucketCount int32
	subBucketMask  int64
	bucketCount    int32
	countsLen      int

	// identity caches indexIdentity: 0 unknown, 1 yes, 2 no.
	identity int8
}

type hdrGeometryKey struct {
	lowest, highest int64
	sigFigs         int32
}

func (g *hdrGeometry) key() hdrGeometryKey {
	return hdrGeometryKey{g.lowest, g.highest, g.sigFigs}
}

func (g *hdrGeometry) String() string {
	return fmt.Sprintf("lowest %d, highest %d, %d significant digits", g.lowest, g.highest, g.sigFigs)
}

// newHDRGeometry computes the geometry of a serialized header exactly as
// hdrhistogram-go's wireGeometry and newExactGeometry do.
func newHDRGeometry(lowest, highest int64, sigFigs int32) (*hdrGeometry, error) {
	if sigFigs < 0 || sigFigs > 5 {
		return nil, fmt.Errorf("significant digits must be between 0 and 5, got %d", sigFigs)
	}
	if lowest < 1 {
		lowest = 1
	}
	largest := 2 * math.Pow10(int(sigFigs))
	subBucketCountMagnitude := int32(math.Ceil(math.Log2(largest)))
	half := max(subBucketCountMagnitude, 1) - 1
	unit := max(int32(math.Floor(math.Log2(float64(lowest)))), 0)
	if unit+half > 61 {
		return nil, fmt.Errorf("lowestDiscernibleValue %d is too large for %d significant digits", lowest, sigFigs)
	}
	g := &hdrGeometry{lowest: lowest, highest: highest, sigFigs: sigFigs, unitMagnitude: int64(unit), halfMagnitude: half}
	g.subBucketCount = int32(math.Pow(2, float64(half)+1))
	g.halfCount = g.subBucketCount / 2
	g.subBucketMask = int64(g.subBucketCount-1) << uint(unit)
	smallestUntrackable := int64(g.subBucketCount) << uint(unit)
	g.bucketCount = bucketsNeeded(smallestUntrackable, highest)
	g.countsLen = int(g.bucketCount+1) * int(g.halfCount)
	return g, nil
}

// indexIdentity reports whether adding counts index by index is what the
// library's Merge does between two histograms of this geometry. Merge
// records every bucket at its lowest value, which maps back to the same
// index unless the value overflows int64 (geometries reaching past
// MaxInt64 / 2).
func (g *hdrGeometry) indexIdentity() bool {
	if g.identity == 0 {
		g.identity = 1
		for i := range g.countsLen {
			if v := g.valueFromFlatIndex(i); v < 0 || g.countsIndexFor(v) != i {
				g.identity = 2
				break
			}
		}
	}
	return g.identity == 1
}

func bucketsNeeded(smallestUntrackable, highest int64) int32 {
	n := int32(1)
	for smallestUntrackable <= highest {
		if smallestUntrackable > math.MaxInt64/2 {
			return n + 1
		}
		smallestUntrackable <<= 1
		n++
	}
	return n
}

func (g *hdrGeometry) bucketIndex(v int64) int32 {
	pow2Ceiling := int64(64 - bits.LeadingZeros64(uint64(v|g.subBucketMask)))
	return int32(pow2Ceiling - g.unitMagnitude - int64(g.halfMagnitude+1))
}

func (g *hdrGeometry) subBucketIndex(v int64, bucket int32) int32 {
	return int32(v >> uint(int64(bucket)+g.unitMagnitude))
}

// countsIndexFor is the counts index of value v (library countsIndexFor).
func (g *hdrGeometry) countsIndexFor(v int64) int {
	b := g.bucketIndex(v)
	s := g.subBucketIndex(v, b)
	return int((b+1)<<uint(g.halfMagnitude) + s - g.halfCount)
}

func (g *hdrGeometry) valueFromIndex(bucket, sub int32) int64 {
	return int64(sub) << uint(int64(bucket)+g.unitMagnitude)
}

// valueFromFlatIndex is the lowest value of counts index idx.
func (g *hdrGeometry) valueFromFlatIndex(idx int) int64 {
	bucket := int32(idx>>uint(g.halfMagnitude)) - 1
	sub := int32(idx)&(g.halfCount-1) + g.halfCount
	if bucket < 0 {
		sub -= g.halfCount
		bucket = 0
	}
	return g.valueFromIndex(bucket, sub)
}

// highestEquivalentValue is the library's highestEquivalentValue(v).
func (g *hdrGeometry) highestEquivalentValue(v int64) int64 {
	b := g.bucketIndex(v)
	s := g.subBucketIndex(v, b)
	lowestEq := g.valueFromIndex(b, s)
	adjusted := b
	if s >= g.subBucketCount {
		adjusted++
	}
	return lowestEq + int64(1)<<uint(g.unitMagnitude+int64(adjusted)) - 1
}

// maxValue is what Histogram.Max reports for counts whose highest non-zero
// index is hi (-1: none): the highest value equivalent to that bucket.
func (g *hdrGeometry) maxValue(hi int) int64 {
	if hi < 0 {
		return g.highestEquivalentValue(0)
	}
	return g.highestEquivalentValue(g.highestEquivalentValue(g.valueFromFlatIndex(hi)))
}

// hdrDecoder decodes V2 compressed histograms, reusing its buffers. Not
// safe for concurrent use.
type hdrDecoder struct {
	raw     []byte // base64-decoded bytes
	inf     *inflater
	payload []byte
	geoms   map[hdrGeometryKey]*hdrGeometry
}

func newHDRDecoder() *hdrDecoder {
	d := &hdrDecoder{inf: newInflater(), geoms: map[hdrGeometryKey]*hdrGeometry{}}
	// The inflated size is bounded by the header, as hdrhistogram-go reads
	// only the header's payload length (and one byte more).
	d.inf.limit = func(out []byte) (int, error) {
		if len(out) < hdrHeaderSize {
			return -1, nil
		}
		_, plen, err := d.header(out)
		return hdrHeaderSize + plen, err
	}
	return d
}

// decode validates a base64 V2 compressed histogram and inflates it: on
// success d.payload holds its counts payload (ZigZag LEB128 words, see
// addCounts) for the returned geometry, and ratio is its integer-to-double
// conversion ratio.
func (d *hdrDecoder) decode(b64 []byte) (g *hdrGeometry, ratio float64, err error) {
	if n := base64.StdEncoding.DecodedLen(len(b64)); cap(d.raw) < n {
		d.raw = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(d.raw[:cap(d.raw)], b64)
	if err != nil {
		return nil, 0, err
	}
	raw := d.raw[:n]
	if len(raw) < 8 {
		return nil, 0, fmt.Errorf("encoded histogram too short: got %d bytes, need at least 8", len(raw))
	}
	if c := int32(binary.BigEndian.Uint32(raw)) &^ 0xf0; c != hdrCompressedCookie {
		return nil, 0, fmt.Errorf("encoding not supported, only V2 compressed is: cookie %#x", c)
	}
	clen := int32(binary.BigEndian.Uint32(raw[4:]))
	if clen < 0 || int(clen) > len(raw)-8 {
		return nil, 0, fmt.Errorf("compressed length %d does not fit the %d bytes after the header", clen, len(raw)-8)
	}
	out, err := d.inf.inflate(raw[8 : 8+int(clen)])
	if err != nil {
		return nil, 0, err
	}
	if len(out) < hdrHeaderSize {
		return nil, 0, fmt.Errorf("decompressed histogram truncated: got %d bytes, need at least %d", len(out), hdrHeaderSize)
	}
	g, plen, err := d.header(out)
	if err != nil {
		return nil, 0, err
	}
	if plen != len(out)-hdrHeaderSize {
		return nil, 0, fmt.Errorf("payload length %d, but the stream holds %d bytes", plen, len(out)-hdrHeaderSize)
	}
	d.payload = out[hdrHeaderSize:]
	return g, math.Float64frombits(binary.BigEndian.Uint64(out[32:])), nil
}

// header checks the 40-byte header of an inflated histogram and returns its
// geometry and payload length.
func (d *hdrDecoder) header(h []byte) (*hdrGeometry, int, error) {
	if c := int32(binary.BigEndian.Uint32(h)) &^ 0xf0; c != hdrPayloadCookie {
		return nil, 0, fmt.Errorf("encoding not supported, only V2 is: inner cookie %#x", c)
	}
	plen := int32(binary.BigEndian.Uint32(h[4:]))
	if plen < 0 {
		return nil, 0, fmt.Errorf("negative payload length %d", plen)
	}
	sig := int32(binary.BigEndian.Uint32(h[12:]))
	lowest := int64(binary.BigEndian.Uint64(h[16:]))
	highest := int64(binary.BigEndian.Uint64(h[24:]))
	g, err := d.geometry(lowest, highest, sig)
	if err != nil {
		return nil, 0, fmt.Errorf("corrupt histogram header: %v", err)
	}
	if int64(plen) > int64(g.countsLen)*9 {
		return nil, 0, fmt.Errorf("payload length %d exceeds the maximum %d for %d counts", plen, g.countsLen*9, g.countsLen)
	}
	return g, int(plen), nil
}

func (d *hdrDecoder) geometry(lowest, highest int64, sig int32) (*hdrGeometry, error) {
	k := hdrGeometryKey{max(lowest, 1), highest, sig}
	if g := d.geoms[k]; g != nil {
		return g, nil
	}
	g, err := newHDRGeometry(lowest, highest, sig)
	if err != nil {
		return nil, err
	}
	if len(d.geoms) > 64 { // bound the cache against hostile input
		clear(d.geoms)
	}
	d.geoms[k] = g
	return g, nil
}

// errTruncatedWord is a payload ending inside a LEB128 word.
var errTruncatedWord = errors.New("truncated compressed histogram: the payload ends inside a word")

// addCounts adds the counts of a V2 payload into counts (at least countsLen
// long) and returns their total and a range lo..hi holding every non-zero
// count (not necessarily tight; lo > hi when there is none). A word is a
// ZigZag LEB128-64b9B integer: a count, or -k for k zero counts. The checks
// are the library's: zero runs and counts must stay inside countsLen and
// the total must not pass MaxInt64. On error counts may be partly updated.
func addCounts(p []byte, countsLen int, counts []int64) (total int64, lo, hi int, err error) {
	counts = counts[:countsLen]
	dst, i := 0, 0
	lo = -1
	for i < len(p) {
		if lo >= 0 && total < 1<<62 {
			if i, dst, total = addOneByteWords(p, i, dst, counts, total); i >= len(p) {
				break
			}
		}
		v, n := leb128(p[i:])
		if n == 0 {
			return total, lo, hi, errTruncatedWord
		}
		i += n
		c := int64(v>>1) ^ -int64(v&1)
		if c < 0 {
			zeros := -c
			if zeros <= 0 || zeros > int64(countsLen-dst) {
				return total, lo, hi, fmt.Errorf("corrupt histogram payload: zero run of %d at index %d overflows %d counts", zeros, dst, countsLen)
			}
			dst += int(zeros)
			continue
		}
		if dst >= countsLen {
			return total, lo, hi, fmt.Errorf("corrupt histogram payload: index %d overflows %d counts", dst, countsLen)
		}
		if c > math.MaxInt64-total {
			return total, lo, hi, fmt.Errorf("corrupt histogram payload: counts sum past MaxInt64 at index %d", dst)
		}
		if c != 0 && lo < 0 {
			lo = dst
		}
		counts[dst] += c
		total += c
		dst++
	}
	if total == 0 {
		return 0, countsLen, -1, nil
	}
	return total, lo, dst - 1, nil
}

// oneByteWords maps a one-byte word to its count and how far it advances
// the index: odd v is a run of v/2+1 zeros, even v a count of v/2.
var oneByteWords = func() (t [128]struct {
	count   int64
	advance int
}) {
	for v := range t {
		if v&1 == 1 {
			t[v].advance = v/2 + 1
		} else {
			t[v].count, t[v].advance = int64(v/2), 1
		}
	}
	return t
}()

// addOneByteWords is addCounts' fast path: it adds one-byte words (nearly
// all of them), eight at a time, without branches on their sign, which are
// unpredictable (a table lookup instead). It
// stops before a longer word and where a word could pass the counts' end
// (a word advances dst by at most 64); the total, below 1<<62 on entry,
// cannot overflow.
func addOneByteWords(p []byte, i, dst int, counts []int64, total int64) (int, int, int64) {
	for i+8 <= len(p) && dst+8*64 <= len(counts) {
		x := binary.LittleEndian.Uint64(p[i:])
		if x&0x8080808080808080 != 0 {
			break
		}
		for range 8 {
			w := oneByteWords[x&0x7f]
			x >>= 8
			counts[dst] += w.count
			total += w.count
			dst += w.advance
		}
		i += 8
	}
	return i, dst, total
}

// leb128 reads one LEB128-64b9B word (up to 9 bytes, the 9th holding 8
// bits); n is 0 when p ends inside the word.
func leb128(p []byte) (v uint64, n int) {
	for i := 0; i < 8; i++ {
		if i >= len(p) {
			return 0, 0
		}
		v |= uint64(p[i]&0x7f) << (7 * i)
		if p[i] < 0x80 {
			return v, i + 1
		}
	}
	if len(p) < 9 {
		return 0, 0
	}
	return v | uint64(p[8])<<56, 9
}

// appendLEB128 appends v ZigZag-encoded as a LEB128-64b9B word.
func appendLEB128(b []byte, signed int64) []byte {
	v := uint64(signed<<1) ^ uint64(signed>>63)
	for i := 0; i < 8; i++ {
		if v < 0x80 {
			return append(b, byte(v))
		}
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// hdrEncoder writes V2 compressed histograms, reusing its buffers and zlib
// writer. Not safe for concurrent use.
type hdrEncoder struct {
	raw  []byte
	zbuf bytes.Buffer
	zw   *kzlib.Writer
}

// hdrEncodeLevel is the deflate level of merged histograms: the format does
// not prescribe one (Java and hdrhistogram-go use 9). Huffman coding alone
// is several times faster, and about as small on these payloads (their
// words rarely repeat).
const hdrEncodeLevel = kzlib.HuffmanOnly

func newHDREncoder() *hdrEncoder {
	zw, err := kzlib.NewWriterLevel(io.Discard, hdrEncodeLevel)
	if err != nil {
		panic(err) // a valid constant level
	}
	return &hdrEncoder{zw: zw}
}

// appendEncoded appends the base64 V2 compressed encoding of counts (whose
// highest non-zero index is hi, -1 for none) to b, as hdrhistogram-go's
// Encode(V2CompressedEncodingCookieBase) would encode a histogram with these
// counts (up to the deflate level).
func (e *hdrEncoder) appendEncoded(b []byte, g *hdrGeometry, ratio float64, counts []int64, hi int) ([]byte, error) {
	r := e.raw[:0]
	r = binary.BigEndian.AppendUint32(r, hdrPayloadCookie|0x10)
	r = binary.BigEndian.AppendUint32(r, 0) // payload length, set below
	r = binary.BigEndian.AppendUint32(r, 0) // normalizing index offset
	r = binary.BigEndian.AppendUint32(r, uint32(g.sigFigs))
	r = binary.BigEndian.AppendUint64(r, uint64(g.lowest))
	r = binary.BigEndian.AppendUint64(r, uint64(g.highest))
	if ratio == 0 {
		ratio = 1
	}
	r = binary.BigEndian.AppendUint64(r, math.Float64bits(ratio))
	// the library encodes through the index of Max(): hi, or index 0
	hi = lastNonZero(counts, hi)
	limit := max(hi, 0) + 1
	for i := 0; i < limit; {
		c := counts[i]
		i++
		if c == 0 {
			zeros := int64(1)
			for i < limit && counts[i] == 0 {
				zeros++
				i++
			}
			if zeros > 1 {
				r = appendLEB128(r, -zeros)
				continue
			}
		}
		r = appendLEB128(r, c)
	}
	binary.BigEndian.PutUint32(r[4:], uint32(len(r)-hdrHeaderSize))
	e.raw = r

	e.zbuf.Reset()
	var lenHdr [8]byte
	e.zbuf.Write(lenHdr[:])
	e.zw.Reset(&e.zbuf)
	if _, err := e.zw.Write(r); err != nil {
		return b, err
	}
	if err := e.zw.Close(); err != nil {
		return b, err
	}
	z := e.zbuf.Bytes()
	binary.BigEndian.PutUint32(z, hdrCompressedCookie|0x10)
	binary.BigEndian.PutUint32(z[4:], uint32(len(z)-8))
	return base64.StdEncoding.AppendEncode(b, z), nil
}

// lastNonZero returns the index of the last non-zero count at or below hi,
// -1 for none.
func lastNonZero(counts []int64, hi int) int {
	for hi >= 0 && counts[hi] == 0 {
		hi--
	}
	return hi
}

// appendIntervalLine appends an interval log line as hdrhistogram-go's
// HistogramLogWriter writes it ("Tag=<tag>,<start>,<length>,<max>,<b64>",
// times in seconds from baseMs, the max divided by 1e6, all with %f).
func (e *hdrEncoder) appendIntervalLine(b []byte, tag string, startMs, endMs, baseMs int64, g *hdrGeometry, ratio float64, counts []int64, hi int) ([]byte, error) {
	if tag != "" {
		b = append(b, "Tag="...)
		b = append(b, tag...)
		b = append(b, ',')
	}
	start := (float64(startMs) - float64(baseMs)) / 1000.0
	end := (float64(endMs) - float64(baseMs)) / 1000.0
	b = strconv.AppendFloat(b, start, 'f', 6, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, end-start, 'f', 6, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, float64(g.maxValue(lastNonZero(counts, hi)))/1e6, 'f', 6, 64)
	b = append(b, ',')
	b, err := e.appendEncoded(b, g, ratio, counts, hi)
	return append(b, '\n'), err
}
