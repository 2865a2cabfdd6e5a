package results

import (
	"bufio"
	"container/heap"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Output file names of a run folder (as loadgen run writes them).
const (
	JTLName  = "results.jtl"
	HLogName = "latency.hlog"
)

// MergeResult says what Merge wrote.
type MergeResult struct {
	JTL       string `json:"jtl"`
	HLog      string `json:"hlog,omitempty"`
	Rows      int64  `json:"rows"`
	Intervals int64  `json:"intervals"`
	Inputs    int    `json:"inputs"`
}

// Merge combines the results of several workers of one run into outDir:
// results.jtl is the workers' rows interleaved by timeStamp (each input is
// read once, in constant memory; rows keep their columns), and latency.hlog
// holds, per second and tag, the exact merge of the workers' histograms.
// Every input folder needs results.jtl with the same header; the HDR logs
// are merged when every folder has one.
func Merge(dirs []string, outDir string) (*MergeResult, error) {
	if len(dirs) == 0 {
		return nil, errors.New("merge: no input folders")
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	res := &MergeResult{JTL: filepath.Join(outDir, JTLName), Inputs: len(dirs)}
	var jtls, hlogs []string
	for _, d := range dirs {
		j := filepath.Join(d, JTLName)
		if _, err := os.Stat(j); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		jtls = append(jtls, j)
		if h := filepath.Join(d, HLogName); fileExists(h) {
			hlogs = append(hlogs, h)
		}
	}
	n, err := mergeJTL(jtls, res.JTL)
	if err != nil {
		return nil, err
	}
	res.Rows = n
	if len(hlogs) == len(dirs) {
		res.HLog = filepath.Join(outDir, HLogName)
		if res.Intervals, err = mergeHLogs(hlogs, res.HLog); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// jtlSource is one input of the JTL merge with its next record.
type jtlSource struct {
	name string
	r    *csv.Reader
	rec  []string
	ts   int64
	line int
}

func (s *jtlSource) next(tsCol int) error {
	rec, err := s.r.Read()
	if err != nil {
		return err
	}
	s.line, _ = s.r.FieldPos(0)
	ts, perr := strconv.ParseInt(rec[tsCol], 10, 64)
	if perr != nil {
		return fmt.Errorf("%s:%d: timeStamp %q is not epoch ms", s.name, s.line, rec[tsCol])
	}
	s.rec, s.ts = rec, ts
	return nil
}

type jtlHeap []*jtlSource

func (h jtlHeap) Len() int           { return len(h) }
func (h jtlHeap) Less(i, j int) bool { return h[i].ts < h[j].ts }
func (h jtlHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jtlHeap) Push(x any)        { *h = append(*h, x.(*jtlSource)) }
func (h *jtlHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeJTL interleaves JTL files by timeStamp.
func mergeJTL(paths []string, out string) (int64, error) {
	var header []string
	h := &jtlHeap{}
	tsCol := -1
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
		r.FieldsPerRecord = 0
		hd, err := r.Read()
		if err != nil {
			return 0, fmt.Errorf("%s: no header: %w", p, err)
		}
		if header == nil {
			header = append([]string(nil), hd...)
			for i, c := range header {
				if c == "timeStamp" {
					tsCol = i
				}
			}
			if tsCol < 0 {
				return 0, fmt.Errorf("%s: the header has no timeStamp column", p)
			}
		} else if strings.Join(hd, ",") != strings.Join(header, ",") {
			return 0, fmt.Errorf("%s: header %q differs from %q", p, strings.Join(hd, ","), strings.Join(header, ","))
		}
		s := &jtlSource{name: p, r: r}
		switch err := s.next(tsCol); {
		case err == io.EOF:
			continue
		case err != nil:
			return 0, fmt.Errorf("%s: %w", p, err)
		}
		heap.Push(h, s)
	}
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	line = appendRecord(line[:0], header)
	if _, err := w.Write(line); err != nil {
		return 0, err
	}
	var rows int64
	for h.Len() > 0 {
		s := (*h)[0]
		line = appendRecord(line[:0], s.rec)
		if _, err := w.Write(line); err != nil {
			return rows, fmt.Errorf("%s: %w", out, err)
		}
		rows++
		switch err := s.next(tsCol); {
		case err == io.EOF:
			heap.Pop(h)
		case err != nil:
			return rows, fmt.Errorf("%s: %w", s.name, err)
		default:
			heap.Fix(h, 0)
		}
	}
	if err := w.Flush(); err != nil {
		return rows, fmt.Errorf("%s: %w", out, err)
	}
	return rows, f.Sync()
}

// appendRecord writes a JTL record with JMeter's quoting: a field is quoted
// when it holds the delimiter, a quote, CR or LF, with quotes doubled.
func appendRecord(b []byte, rec []string) []byte {
	for i, f := range rec {
		if i > 0 {
			b = append(b, ',')
		}
		if strings.ContainsAny(f, ",\"\r\n") {
			b = append(b, '"')
			b = append(b, strings.ReplaceAll(f, `"`, `""`)...)
			b = append(b, '"')
			continue
		}
		b = append(b, f...)
	}
	return append(b, '\n')
}
