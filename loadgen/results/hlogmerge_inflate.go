package results

// A zlib (RFC 1950) / DEFLATE (RFC 1951) decoder for the small streams of
// compressed histograms, about twice as fast as compress/zlib on
// them: it reads from a []byte through a 64-bit bit buffer, decodes
// Huffman codes of up to 10 bits with one table lookup (longer ones
// canonically, bit by bit) and writes into a reusable []byte.
//
// It accepts exactly the streams compress/zlib's reader accepts (with no
// dictionary), which hdrhistogram-go uses: the same header checks (an FDICT
// flag only with the Adler-32 of the empty dictionary), complete Huffman
// codes except a single one-bit code, HLIT <= 286, HDIST <= 30, no symbol
// 286/287 or distance code 30/31, no distance past the output written so
// far, and the Adler-32 checksum in the 4 bytes after the last block. Bytes
// after the checksum are ignored, as there.

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	"math/bits"
)

var (
	errInflateHeader    = errors.New("zlib: invalid header")
	errInflateDict      = errors.New("zlib: invalid dictionary")
	errInflateChecksum  = errors.New("zlib: invalid checksum")
	errInflateTruncated = errors.New("zlib: unexpected EOF")
	errInflateCorrupt   = errors.New("flate: corrupt input")
	errInflateTooLong   = errors.New("inflated data longer than its header allows")
)

// maxTableBits is the longest code a huffman table resolves in one lookup.
const maxTableBits = 10

// A table entry: bits 0-3 the code length (0: not in the table: a longer
// code, or none), bits 4-7 the extra bits to read, bits 8-10 the kind, bits
// 16-31 the value: the literal byte(s), or the base of a length or
// distance.
const (
	kindLiteral  = 0 << 8
	kindLiteral2 = 1 << 8 // two literals (the first in bits 16-23): two codes in one entry
	kindLength   = 2 << 8 // also: a distance
	kindEOB      = 3 << 8
	kindInvalid  = 4 << 8 // symbols 286/287, distances 30/31
	kindMask     = 7 << 8
)

// huffman is a canonical Huffman code: table maps the next tbits input
// bits to an entry; codes longer than tbits (and bit patterns of no code)
// decode slowly from count and symbols (puff's canonical decoding).
type huffman struct {
	table   [1 << maxTableBits]uint32
	tbits   uint
	entries []uint32    // the table entry of each symbol, without the length
	count   [16]uint16  // codes per length
	symbols [288]uint16 // symbols ordered by code
}

func litEntry(sym uint16) uint32 {
	switch {
	case sym < 256:
		return uint32(sym)<<16 | kindLiteral
	case sym == 256:
		return kindEOB
	case sym < 286:
		i := sym - 257
		return uint32(lenBase[i])<<16 | uint32(lenExtra[i])<<4 | kindLength
	}
	return kindInvalid
}

func distEntry(sym uint16) uint32 {
	if sym < 30 {
		return uint32(distBase[sym])<<16 | uint32(distExtra[sym])<<4 | kindLength
	}
	return kindInvalid
}

func clenEntry(sym uint16) uint32 { return uint32(sym) << 16 }

// init builds the code from code lengths (0: symbol unused), with the
// checks of compress/flate's huffmanDecoder.init.
func (h *huffman) init(lengths []uint8) error {
	// four counters: runs of equal lengths would make one a chain of
	// dependent increments
	var c [4][16]uint16
	i := 0
	for ; i+4 <= len(lengths); i += 4 {
		c[0][lengths[i]&15]++
		c[1][lengths[i+1]&15]++
		c[2][lengths[i+2]&15]++
		c[3][lengths[i+3]&15]++
	}
	for ; i < len(lengths); i++ {
		c[0][lengths[i]&15]++
	}
	for l := 1; l < 16; l++ {
		h.count[l] = c[0][l] + c[1][l] + c[2][l] + c[3][l]
	}
	h.count[0] = 0
	minLen, maxLen := 0, 0
	for l := 1; l < 16; l++ {
		if h.count[l] != 0 {
			if minLen == 0 {
				minLen = l
			}
			maxLen = l
		}
	}
	table := h.table[:1<<h.tbits]
	if maxLen == 0 {
		clear(table)
		return nil // an empty code: any use of it fails
	}
	code := 0
	for l := minLen; l <= maxLen; l++ {
		code = code<<1 + int(h.count[l])
	}
	// complete, or zlib's degenerate single one-bit code
	if code != 1<<maxLen && !(code == 1 && maxLen == 1) {
		return errInflateCorrupt
	}
	// the symbols in code order: by length, then value
	var offs [16]int
	for l := 1; l < 16; l++ {
		offs[l] = offs[l-1] + int(h.count[l-1])
	}
	start := offs
	for sym, l := range lengths {
		if l != 0 {
			h.symbols[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	// The table of the codes up to length l has 1<<l entries; doubling it
	// (a copy) makes it the table of the same codes for l+1 bits, to which
	// the codes of length l+1 are added, one entry each. Entries no code
	// reaches stay 0.
	table[0], table[1] = 0, 0
	code = 0
	for l := 1; l <= int(h.tbits); l++ {
		if l > 1 {
			copy(table[1<<(l-1):1<<l], table[:1<<(l-1)])
		}
		for _, sym := range h.symbols[start[l]:offs[l]] {
			table[bits.Reverse16(uint16(code))>>(16-l)] = h.entries[sym] | uint32(l)
			code++
		}
		code <<= 1
	}
	return nil
}

// pairLiterals makes the entries of a literal code followed by another
// literal code that both fit in the table's bits two-literal entries, so
// that runs of literals decode two at a time. single is scratch space.
func (h *huffman) pairLiterals(single *[1 << maxTableBits]uint32) {
	*single = h.table
	t := &h.table
	code := 0
	i := 0
	for l := 1; l < maxTableBits; l++ {
		n := int(h.count[l])
		for _, sym := range h.symbols[i : i+n] {
			rev := int(bits.Reverse16(uint16(code)) >> (16 - l))
			code++
			if sym >= 256 {
				continue
			}
			// the entries of this code are rev + k<<l; the next code is
			// the one of k's bits, if it has at most rem of them
			rem := uint32(maxTableBits - l)
			e1 := uint32(sym)<<16 | kindLiteral2 | uint32(l)
			for k := range 1 << rem {
				e2 := single[k]
				j := rev + k<<l
				v := single[j]
				if l2 := e2 & 15; e2&kindMask == kindLiteral && l2-1 < rem { // 1 <= l2 <= rem
					v = e1 + e2&0xff0000<<8 + l2
				}
				t[j] = v
			}
		}
		i += n
		code <<= 1
	}
}

// slow decodes a code the table does not resolve, from the bits in b
// (at least 15 of them); the entry's length is 0 for no code.
func (h *huffman) slow(b uint64) uint32 {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		code |= int(b & 1)
		b >>= 1
		c := int(h.count[l])
		if code-c < first {
			return h.entries[h.symbols[index+code-first]] | uint32(l)
		}
		index += c
		first = (first + c) << 1
		code <<= 1
	}
	return 0
}

var (
	lenBase   = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra  = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase  = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// the order of the code length code lengths
	clenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

	litEntries, distEntries, clenEntries [288]uint32

	fixedLit  = huffman{tbits: maxTableBits, entries: litEntries[:]}
	fixedDist = huffman{tbits: maxTableBits, entries: distEntries[:32]}
)

func init() {
	for i := range uint16(288) {
		litEntries[i], distEntries[i], clenEntries[i] = litEntry(i), distEntry(i), clenEntry(i)
	}
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	var d [32]uint8
	for i := range d {
		d[i] = 5 // 30 and 31 decode, and are rejected as distances
	}
	if fixedLit.init(l[:]) != nil || fixedDist.init(d[:]) != nil {
		panic("inflate: fixed codes")
	}
	fixedLit.pairLiterals(new([1 << maxTableBits]uint32))

}

// inflater decodes zlib streams into out, reusing its buffers. limit, if
// set, is asked for the largest output size allowed (-1: no limit yet)
// when the output has to grow, given the bytes written so far.
type inflater struct {
	in    []byte
	pos   int    // next byte of in to load into b
	over  int    // zero bytes loaded past the end of in
	b     uint64 // bit buffer, next bit lowest
	nb    uint   // valid bits in b
	out   []byte
	w     int // bytes written to out
	limit func(out []byte) (int, error)

	lit, dist, clen huffman
	lens            [286 + 30]uint8
	single          [1 << maxTableBits]uint32 // scratch of pairLiterals
}

func newInflater() *inflater {
	f := &inflater{}
	f.lit.tbits, f.lit.entries = maxTableBits, litEntries[:]
	f.dist.tbits, f.dist.entries = maxTableBits, distEntries[:32]
	f.clen.tbits, f.clen.entries = 7, clenEntries[:19]
	return f
}

// refill loads b up to at least 56 bits; past the end of the input it
// loads zero bytes, which are an error only if they are consumed (checked
// where a byte position is needed) or pile up.
func (f *inflater) refill() error {
	if f.pos+8 <= len(f.in) {
		f.b |= binary.LittleEndian.Uint64(f.in[f.pos:]) << f.nb
		f.pos += int((63 - f.nb) >> 3)
		f.nb |= 56
		return nil
	}
	for f.nb <= 56 {
		if f.pos < len(f.in) {
			f.b |= uint64(f.in[f.pos]) << f.nb
			f.pos++
		} else if f.over++; f.over > 16 {
			return errInflateTruncated
		}
		f.nb += 8
	}
	return nil
}

// align drops the bits up to the next byte boundary and returns the
// position of the next byte in the input.
func (f *inflater) align() (int, error) {
	p := f.pos + f.over - int(f.nb/8)
	if p > len(f.in) {
		return 0, errInflateTruncated
	}
	f.pos, f.over, f.b, f.nb = p, 0, 0, 0
	return p, nil
}

// grow makes room for n more output bytes, within f.limit.
func (f *inflater) grow(n int) error {
	need := f.w + n
	lim := -1
	if f.limit != nil {
		var err error
		if lim, err = f.limit(f.out[:f.w]); err != nil {
			return err
		}
	}
	if lim >= 0 && need > lim {
		return errInflateTooLong
	}
	size := max(2*need, 256)
	if lim >= 0 {
		size = min(size, lim)
	}
	if size > len(f.out) {
		out := make([]byte, size+16) // slack for block's 8-byte copies
		copy(out, f.out[:f.w])
		f.out = out
	}
	return nil
}

// inflate decodes the zlib stream in and returns the output (valid until
// the next call).
func (f *inflater) inflate(in []byte) ([]byte, error) {
	f.in, f.pos, f.over, f.b, f.nb, f.w = in, 0, 0, 0, 0, 0
	if len(in) < 2 {
		return nil, errInflateTruncated
	}
	if in[0]&0x0f != 8 || in[0]>>4 > 7 || binary.BigEndian.Uint16(in)%31 != 0 {
		return nil, errInflateHeader
	}
	f.pos = 2
	if in[1]&0x20 != 0 {
		if len(in) < 6 {
			return nil, errInflateTruncated
		}
		if binary.BigEndian.Uint32(in[2:]) != 1 { // Adler-32 of no dictionary
			return nil, errInflateDict
		}
		f.pos = 6
	}
	for final := false; !final; {
		if f.nb < 3 {
			if err := f.refill(); err != nil {
				return nil, err
			}
		}
		final = f.b&1 == 1
		typ := f.b >> 1 & 3
		f.b >>= 3
		f.nb -= 3
		var err error
		switch typ {
		case 0:
			err = f.stored()
		case 1:
			err = f.block(&fixedLit, &fixedDist)
		case 2:
			if err = f.dynamic(); err == nil {
				err = f.block(&f.lit, &f.dist)
			}
		default:
			err = errInflateCorrupt
		}
		if err != nil {
			return nil, err
		}
	}
	p, err := f.align()
	if err != nil {
		return nil, err
	}
	if p+4 > len(in) {
		return nil, errInflateTruncated
	}
	out := f.out[:f.w]
	if binary.BigEndian.Uint32(in[p:]) != adler32.Checksum(out) {
		return nil, errInflateChecksum
	}
	return out, nil
}

// stored copies a stored block.
func (f *inflater) stored() error {
	p, err := f.align()
	if err != nil {
		return err
	}
	if p+4 > len(f.in) {
		return errInflateTruncated
	}
	n := int(binary.LittleEndian.Uint16(f.in[p:]))
	if uint16(n) != ^binary.LittleEndian.Uint16(f.in[p+2:]) {
		return errInflateCorrupt
	}
	p += 4
	if p+n > len(f.in) {
		return errInflateTruncated
	}
	if f.w+n > len(f.out) {
		if err := f.grow(n); err != nil {
			return err
		}
	}
	f.w += copy(f.out[f.w:], f.in[p:p+n])
	f.pos = p + n
	return nil
}

// dynamic reads the codes of a dynamic block (compress/flate's readHuffman).
func (f *inflater) dynamic() error {
	if f.nb < 14 {
		if err := f.refill(); err != nil {
			return err
		}
	}
	nlit := int(f.b&0x1f) + 257
	ndist := int(f.b>>5&0x1f) + 1
	nclen := int(f.b>>10&0xf) + 4
	f.b >>= 14
	f.nb -= 14
	if nlit > 286 || ndist > 30 {
		return errInflateCorrupt
	}
	var cl [19]uint8
	for i := range nclen {
		if f.nb < 3 {
			if err := f.refill(); err != nil {
				return err
			}
		}
		cl[clenOrder[i]] = uint8(f.b & 7)
		f.b >>= 3
		f.nb -= 3
	}
	if err := f.clen.init(cl[:]); err != nil {
		return err
	}
	n := nlit + ndist
	lens := f.lens[:n]
	in, pos, b, nb := f.in, f.pos, f.b, f.nb
	for i := 0; i < n; {
		if nb < 32 {
			if pos+8 <= len(in) {
				b |= binary.LittleEndian.Uint64(in[pos:]) << nb
				pos += int((63 - nb) >> 3)
				nb |= 56
			} else {
				f.pos, f.b, f.nb = pos, b, nb
				if err := f.refill(); err != nil {
					return err
				}
				pos, b, nb = f.pos, f.b, f.nb
			}
		}
		e := f.clen.table[b&(1<<7-1)] // code length codes have at most 7 bits
		l := uint(e & 15)
		if l == 0 {
			return errInflateCorrupt
		}
		b >>= l
		nb -= l
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return errInflateCorrupt
			}
			rep, v = 3+int(b&3), lens[i-1]
			b >>= 2
			nb -= 2
		case 17:
			rep = 3 + int(b&7)
			b >>= 3
			nb -= 3
		default: // 18
			rep = 11 + int(b&0x7f)
			b >>= 7
			nb -= 7
		}
		if i+rep > n {
			return errInflateCorrupt
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	f.pos, f.b, f.nb = pos, b, nb
	if err := f.lit.init(lens[:nlit]); err != nil {
		return err
	}
	f.lit.pairLiterals(&f.single)

	return f.dist.init(lens[nlit:])
}

// block decodes the data of a Huffman-coded block. The bit buffer and the
// output position live in locals; f holds them around calls.
func (f *inflater) block(lit, dist *huffman) error {
	in, pos := f.in, f.pos
	b, nb := f.b, f.nb
	out, w := f.out, f.w
	// both tables have maxTableBits: a constant mask needs no bounds checks
	lt, dt := &lit.table, &dist.table
	for {
		if nb < 15 { // a literal/length code takes at most 15 bits
			if pos+8 <= len(in) {
				b |= binary.LittleEndian.Uint64(in[pos:]) << nb
				pos += int((63 - nb) >> 3)
				nb |= 56
			} else {
				f.pos, f.b, f.nb = pos, b, nb
				if err := f.refill(); err != nil {
					return err
				}
				pos, b, nb = f.pos, f.b, f.nb
			}
		}
		e := lt[b&(1<<maxTableBits-1)]
		if e&15 == 0 {
			if e = lit.slow(b); e&15 == 0 {
				return errInflateCorrupt
			}
		}
		if e&kindMask <= kindLiteral2 {
			l := uint(e & 15)
			b >>= l
			nb -= l
			n := 1 + int(e>>8&1) // literals in the entry
			if w+2 > len(out) {
				f.w = w
				if err := f.grow(n); err != nil {
					return err
				}
				if out = f.out; w+2 > len(out) { // room for one literal: n is 1
					out[w] = byte(e >> 16)
					w++
					continue
				}
			}
			out[w] = byte(e >> 16)
			out[w+1] = byte(e >> 24)
			w += n
			continue
		}
		if e&kindMask != kindLength {
			if e&kindMask == kindEOB {
				l := uint(e & 15)
				f.pos, f.b, f.nb, f.w = pos, b>>l, nb-l, w
				return nil
			}
			return errInflateCorrupt
		}
		if nb < 15+5+15+13 { // the code, then length extra bits, distance code and extra bits
			if pos+8 <= len(in) {
				b |= binary.LittleEndian.Uint64(in[pos:]) << nb
				pos += int((63 - nb) >> 3)
				nb |= 56
			} else {
				f.pos, f.b, f.nb = pos, b, nb
				if err := f.refill(); err != nil {
					return err
				}
				pos, b, nb = f.pos, f.b, f.nb
			}
		}
		// the code, then its extra bits: one shift for both
		l, x := uint(e&15), uint(e>>4&15)
		length := int(e>>16) + int(b>>l&(1<<x-1))
		b >>= l + x
		nb -= l + x
		e = dt[b&(1<<maxTableBits-1)]
		if e&15 == 0 {
			if e = dist.slow(b); e&15 == 0 {
				return errInflateCorrupt
			}
		}
		if e&kindMask != kindLength {
			return errInflateCorrupt
		}
		l, x = uint(e&15), uint(e>>4&15)
		d := int(e>>16) + int(b>>l&(1<<x-1))
		b >>= l + x
		nb -= l + x
		if d > w {
			return errInflateCorrupt
		}
		if w+length > len(out) {
			f.w = w
			if err := f.grow(length); err != nil {
				return err
			}
			out = f.out
		}
		switch {
		case d >= 8 && w+length+8 <= len(out):
			// 8 bytes at a time (most matches are short): each chunk's
			// source lies before its destination, so overlaps repeat
			// the pattern as they must
			for j := 0; j < length; j += 8 {
				binary.LittleEndian.PutUint64(out[w+j:], binary.LittleEndian.Uint64(out[w-d+j:]))
			}
		case d >= length:
			copy(out[w:w+length], out[w-d:])
		default:
			for i := range length {
				out[w+i] = out[w-d+i]
			}
		}
		w += length
	}
}
