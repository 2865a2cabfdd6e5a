package record

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

var testSteps = []StepInfo{
	{Label: "Home Page", Scenario: "Scenario 1"},
	{Label: `Search, "advanced"`, Scenario: "Scenario 1"},
	{Label: "multi\nline\r\nlabel", Scenario: "checkout, EU"},
	{Label: "Заказ ✓ 注文", Scenario: "s"},
	{Label: "Checkout flow", Scenario: "Scenario 1", Group: "Checkout flow"},
}

// jtlCases are samples with their exact expected rows (without "\n").
var jtlCases = []struct {
	name string
	s    Sample
	row  string
}{
	{
		name: "ok",
		s: Sample{
			Start: 1641362300849_999_999, Elapsed: 270_400_000, Latency: 269_500_000, Connect: 239_499_999,
			Sent: 314, Received: 345, Step: 0, VU: 1, GrpThreads: 1, AllThreads: 1,
			Status: 200, Success: true, Message: "OK", URL: "https://49.247.147.78:8783/",
		},
		row: "1641362300849,270,Home Page,200,OK,Scenario 1 1-1,text,true,,345,314,1,1,https://49.247.147.78:8783/,270,0,239",
	},
	{
		name: "connect refused",
		s: Sample{
			Start: 1700000000000_000_000, Elapsed: 2_000_000, Step: 1, VU: 12, GrpThreads: 20, AllThreads: 40,
			Code:    "Non HTTP response code: org.apache.http.conn.HttpHostConnectException",
			Message: "Non HTTP response message: Connect to localhost:3001 [localhost/127.0.0.1] failed: Connection refused",
			URL:     "http://localhost:3001/search?q=a,b",
		},
		row: `1700000000000,2,"Search, ""advanced""",Non HTTP response code: org.apache.http.conn.HttpHostConnectException,` +
			`Non HTTP response message: Connect to localhost:3001 [localhost/127.0.0.1] failed: Connection refused,` +
			`Scenario 1 1-12,text,false,,0,0,20,40,"http://localhost:3001/search?q=a,b",0,0,0`,
	},
	{
		name: "multi-line label, quoted thread, bin, failure message",
		s: Sample{
			Start: 1700000000001_000_000, Elapsed: 1_499_999, Latency: 500_000, Connect: 0,
			Sent: 10, Received: 20000, Step: 2, VU: 3, GrpThreads: 2, AllThreads: 5,
			Status: 404, Binary: true, Message: "Not Found",
			FailureMessage: "Expected \"ok\"\nbut was \"ko\"", URL: "https://x/img.png",
		},
		row: "1700000000001,1,\"multi\nline\r\nlabel\",404,Not Found,\"checkout, EU 1-3\",bin,false," +
			"\"Expected \"\"ok\"\"\nbut was \"\"ko\"\"\",20000,10,2,5,https://x/img.png,1,0,0",
	},
	{
		name: "unicode",
		s: Sample{
			Start: 1700000000002_000_000, Elapsed: 12_000_000, Latency: 11_000_000, Connect: 1_000_000,
			Sent: 100, Received: 200, Step: 3, VU: 7, GrpThreads: 7, AllThreads: 7,
			Status: 302, Success: true, Message: "Gefunden – déplacé", URL: "https://例え.jp/パス",
		},
		row: "1700000000002,12,Заказ ✓ 注文,302,Gefunden – déplacé,s 1-7,text,true,,200,100,7,7,https://例え.jp/パス,11,0,1",
	},
	{
		name: "no response",
		s: Sample{
			Start: 1700000000003_000_000, Elapsed: 30_000_000_000, Step: 0, VU: 2, GrpThreads: 1, AllThreads: 1,
			Code: "Non HTTP response code: java.net.SocketTimeoutException", Message: "Non HTTP response message: Read timed out",
			URL: "https://h/",
		},
		row: "1700000000003,30000,Home Page,Non HTTP response code: java.net.SocketTimeoutException,Non HTTP response message: Read timed out,Scenario 1 1-2,text,false,,0,0,1,1,https://h/,0,0,0",
	},
	{
		name: "transaction ok",
		s: Sample{
			Start: 1616977368110_000_000, Elapsed: 911_000_000, Latency: 0, Sent: 734, Received: 1126,
			Step: 4, VU: 200, GrpThreads: 1, AllThreads: 1, Success: true, Transaction: true, Children: 1,
		},
		row: `1616977368110,911,Checkout flow,200,"Number of samples in transaction : 1, number of failing samples : 0",Scenario 1 1-200,,true,,1126,734,1,1,null,0,0,0`,
	},
	{
		name: "transaction failed",
		s: Sample{
			Start: 1616977368110_000_000, Elapsed: 1_000_000_000, Step: 4, VU: 5, GrpThreads: 3, AllThreads: 4,
			Transaction: true, Children: 3, FailedChildren: 2, Status: 500, URL: "ignored",
			FailureMessage: "check failed",
		},
		row: `1616977368110,1000,Checkout flow,,"Number of samples in transaction : 3, number of failing samples : 2",Scenario 1 1-5,,false,check failed,0,0,3,4,null,0,0,0`,
	},
}

// memFile is an in-memory File.
type memFile struct {
	data []byte
	pos  int64
}

func (m *memFile) Write(p []byte) (int, error) {
	end := m.pos + int64(len(p))
	if end > int64(len(m.data)) {
		m.data = append(m.data, make([]byte, end-int64(len(m.data)))...)
	}
	copy(m.data[m.pos:], p)
	m.pos = end
	return len(p), nil
}

func (m *memFile) Truncate(size int64) error {
	if size < int64(len(m.data)) {
		m.data = m.data[:size]
	}
	return nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		m.pos = off
	case io.SeekCurrent:
		m.pos += off
	case io.SeekEnd:
		m.pos = int64(len(m.data)) + off
	}
	return m.pos, nil
}

func readCSV(t testing.TB, data []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	r.LazyQuotes = false
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv: %v\n%q", err, data)
	}
	for i, rec := range recs {
		if len(rec) != 17 {
			t.Fatalf("record %d has %d fields, want 17: %q", i, len(rec), rec)
		}
	}
	return recs
}

func TestJTLHeader(t *testing.T) {
	var f memFile
	w, err := NewJTLWriter(&f, "results.jtl", testSteps, JTLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"
	if got := string(f.data); got != want {
		t.Fatalf("header written at creation:\n got %q\nwant %q", got, want)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != 0 || w.Dropped() != 0 || w.Err() != nil {
		t.Fatalf("fresh writer: rows %d dropped %d err %v", w.Rows(), w.Dropped(), w.Err())
	}
}

func TestJTLRows(t *testing.T) {
	for _, tc := range jtlCases {
		t.Run(tc.name, func(t *testing.T) {
			var f memFile
			w, err := NewJTLWriter(&f, "results.jtl", testSteps, JTLOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(&tc.s); err != nil {
				t.Fatal(err)
			}
			if len(f.data) != len(JTLHeader) {
				t.Fatalf("row written before Flush")
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			got := strings.TrimPrefix(string(f.data), JTLHeader)
			if got != tc.row+"\n" {
				t.Fatalf("row:\n got %q\nwant %q", got, tc.row+"\n")
			}
			recs := readCSV(t, f.data)
			if len(recs) != 2 {
				t.Fatalf("got %d records, want header + 1", len(recs))
			}
			rec := recs[1]
			if want := strings.ReplaceAll(testSteps[tc.s.Step].Label, "\r\n", "\n"); rec[2] != want {
				t.Errorf("label read back %q, want %q", rec[2], want)
			}
			if !tc.s.Transaction && rec[13] != tc.s.URL {
				t.Errorf("URL read back %q, want %q", rec[13], tc.s.URL)
			}
			if rec[8] != tc.s.FailureMessage {
				t.Errorf("failureMessage read back %q, want %q", rec[8], tc.s.FailureMessage)
			}
			if w.Rows() != 1 {
				t.Errorf("Rows() = %d, want 1", w.Rows())
			}
		})
	}
}

func TestJTLAllRowsCSV(t *testing.T) {
	var f memFile
	w, err := NewJTLWriter(&f, "results.jtl", testSteps, JTLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	want.WriteString(JTLHeader)
	for _, tc := range jtlCases {
		if err := w.Write(&tc.s); err != nil {
			t.Fatal(err)
		}
		want.WriteString(tc.row + "\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if string(f.data) != want.String() {
		t.Fatalf("file:\n got %q\nwant %q", f.data, want.String())
	}
	recs := readCSV(t, f.data)
	if len(recs) != len(jtlCases)+1 {
		t.Fatalf("%d records, want %d", len(recs), len(jtlCases)+1)
	}
	if got := strings.Join(recs[0], ","); got+"\n" != JTLHeader {
		t.Fatalf("header record %q", got)
	}
}

func TestJTLBadStep(t *testing.T) {
	var f memFile
	w, err := NewJTLWriter(&f, "results.jtl", testSteps, JTLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []int32{-1, int32(len(testSteps))} {
		if err := w.Write(&Sample{Step: step}); err == nil {
			t.Errorf("step %d: no error", step)
		}
	}
	if w.Err() != nil || w.Rows() != 0 {
		t.Fatalf("bad step must not be sticky or counted: %v, %d", w.Err(), w.Rows())
	}
}

func TestJTLOptionsValidation(t *testing.T) {
	for _, s := range []float64{-0.1, 1.5} {
		if _, err := NewJTLWriter(&memFile{}, "results.jtl", testSteps, JTLOptions{Sample: s}); err == nil {
			t.Errorf("Sample %v accepted", s)
		}
	}
}

func TestJTLSampling(t *testing.T) {
	const successes, failures = 100_000, 1_000
	run := func(opts JTLOptions) (*JTLWriter, []byte, int, int) {
		var f memFile
		w, err := NewJTLWriter(&f, "results.jtl", testSteps, opts)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < successes+failures; i++ {
			s := Sample{Start: int64(i) * 1e6, Elapsed: 1e6, Step: 0, VU: 1, Status: 200, Success: i%101 != 100}
			if !s.Success {
				s.Status = 500
			}
			if err := w.Write(&s); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		recs := readCSV(t, f.data)
		ok, failed := 0, 0
		for _, r := range recs[1:] {
			if r[7] == "true" {
				ok++
			} else {
				failed++
			}
		}
		if int64(ok+failed) != w.Rows() {
			t.Fatalf("Rows() = %d, file has %d", w.Rows(), ok+failed)
		}
		if int64(ok)+w.Dropped() != successes {
			t.Fatalf("kept %d + dropped %d != %d successes", ok, w.Dropped(), successes)
		}
		return w, f.data, ok, failed
	}

	for _, share := range []float64{0.5, 0.1, 0.01} {
		_, data, ok, failed := run(JTLOptions{Sample: share, Seed: 42})
		if failed != failures {
			t.Errorf("share %v: kept %d failures, want all %d", share, failed, failures)
		}
		want := share * successes
		// Binomial σ = sqrt(n·p·(1−p)) ≤ 158; allow 6σ.
		if d := float64(ok) - want; d > 6*158 || d < -6*158 {
			t.Errorf("share %v: kept %d successes, want ≈ %.0f", share, ok, want)
		}
		_, again, _, _ := run(JTLOptions{Sample: share, Seed: 42})
		if !bytes.Equal(data, again) {
			t.Errorf("share %v: same seed gave different output", share)
		}
		_, other, _, _ := run(JTLOptions{Sample: share, Seed: 43})
		if bytes.Equal(data, other) {
			t.Errorf("share %v: different seeds gave identical output", share)
		}
	}

	w, _, ok, failed := run(JTLOptions{ErrorsOnly: true})
	if ok != 0 || failed != failures || w.Dropped() != successes {
		t.Errorf("ErrorsOnly: kept %d ok, %d failed, dropped %d", ok, failed, w.Dropped())
	}
	_, _, ok, failed = run(JTLOptions{Sample: 1})
	if ok != successes || failed != failures {
		t.Errorf("Sample 1: kept %d ok, %d failed", ok, failed)
	}
}

// enospcFile wraps a real file and fails with ENOSPC once limit bytes have
// been written, after writing the part of the buffer that still fits.
type enospcFile struct {
	*os.File
	limit   int64
	written int64
	writes  int
}

func (f *enospcFile) Write(p []byte) (int, error) {
	f.writes++
	room := f.limit - f.written
	if int64(len(p)) <= room {
		n, err := f.File.Write(p)
		f.written += int64(n)
		return n, err
	}
	n, err := f.File.Write(p[:max(room, 0)])
	f.written += int64(n)
	if err != nil {
		return n, err
	}
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

// failureSamples returns n samples, many with quoted multi-line fields so
// that a cut at a newline byte is usually inside a row.
func failureSamples(n int) []Sample {
	out := make([]Sample, n)
	for i := range out {
		c := jtlCases[i%len(jtlCases)].s
		c.Start += int64(i) * 1e6
		c.FailureMessage = fmt.Sprintf("line one\nline %d, \"two\"\n", i)
		c.Success = false
		out[i] = c
	}
	return out
}

// expectedJTL returns the complete output for samples.
func expectedJTL(t *testing.T, samples []Sample) []byte {
	var f memFile
	w, err := NewJTLWriter(&f, "results.jtl", testSteps, JTLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range samples {
		if err := w.Write(&samples[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return f.data
}

// rowBoundaries returns the offsets in the complete output where the
// header and each row end.
func rowBoundaries(t *testing.T, samples []Sample) []int {
	w, err := NewJTLWriter(&memFile{}, "results.jtl", testSteps, JTLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ends := []int{len(JTLHeader)}
	for i := range samples {
		ends = append(ends, ends[len(ends)-1]+len(w.appendRow(nil, &samples[i])))
	}
	return ends
}

// checkTruncated checks that data is the header plus exactly rows whole
// rows of full, and that encoding/csv reads it back.
func checkTruncated(t *testing.T, data, full []byte, ends []int, rows int64) {
	t.Helper()
	if !bytes.HasPrefix(full, data) {
		t.Fatalf("file is not a prefix of the complete output")
	}
	if rows < 0 || int(rows) >= len(ends) || len(data) != ends[rows] {
		t.Fatalf("file has %d bytes; want %d complete rows ending at a row boundary", len(data), rows)
	}
	recs := readCSV(t, data)
	if int64(len(recs)) != rows+1 {
		t.Fatalf("encoding/csv read %d records, want header + %d", len(recs), rows)
	}
}

func TestJTLWriteFailureTruncates(t *testing.T) {
	samples := failureSamples(6000) // well past one 256 KiB flush
	full := expectedJTL(t, samples)
	ends := rowBoundaries(t, samples)
	if ends[len(ends)-1] != len(full) {
		t.Fatalf("boundaries: last %d, output %d", ends[len(ends)-1], len(full))
	}
	// Cut inside the header, at a boundary, just after and before one, in
	// the middle of a row, and inside the second flush.
	limits := []int64{
		0, 10, int64(len(JTLHeader)), int64(len(JTLHeader)) + 1,
		int64(ends[100]), int64(ends[100]) - 1, int64(ends[100]) + 1,
		int64(ends[1000]+ends[1001]) / 2, int64(len(full)) - 1,
	}
	for _, next := range ends {
		if next > jtlFlushSize+len(JTLHeader) {
			limits = append(limits, int64(next)+7)
			break
		}
	}
	for _, limit := range limits {
		t.Run(strconv.FormatInt(limit, 10), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "results.jtl")
			osf, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer osf.Close()
			f := &enospcFile{File: osf, limit: limit}
			w, err := NewJTLWriter(f, "results.jtl", testSteps, JTLOptions{})
			if limit < int64(len(JTLHeader)) {
				if err == nil || !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("header write: err %v, want ENOSPC", err)
				}
				if fi, _ := os.Stat(path); fi.Size() != 0 {
					t.Fatalf("partial header left: %d bytes", fi.Size())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for i := range samples {
				if werr = w.Write(&samples[i]); werr != nil {
					break
				}
			}
			if werr == nil {
				werr = w.Flush()
			}
			if werr == nil {
				t.Fatalf("no error with limit %d of %d", limit, len(full))
			}
			if !errors.Is(werr, syscall.ENOSPC) || werr != w.Err() {
				t.Fatalf("error %v (sticky %v), want ENOSPC", werr, w.Err())
			}
			wantMsg := fmt.Sprintf("results.jtl: write failed after %d complete rows: ", w.Rows())
			if !strings.HasPrefix(werr.Error(), wantMsg) {
				t.Fatalf("error %q, want prefix %q", werr, wantMsg)
			}
			writes := f.writes
			if err := w.Write(&samples[0]); err != w.Err() {
				t.Fatalf("Write after failure: %v", err)
			}
			if err := w.Flush(); err != w.Err() {
				t.Fatalf("Flush after failure: %v", err)
			}
			if f.writes != writes {
				t.Fatalf("writer kept writing after a failure")
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkTruncated(t, data, full, ends, w.Rows())
			if int64(ends[w.Rows()]) > limit || (int(w.Rows())+1 < len(ends) && int64(ends[w.Rows()+1]) <= limit) {
				t.Fatalf("kept %d rows; not the last complete row before byte %d", w.Rows(), limit)
			}
		})
	}
}

func TestJTLTmpfsENOSPC(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on Linux to mount a tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	path := filepath.Join(dir, "results.jtl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	samples := failureSamples(5000)
	full := expectedJTL(t, samples)
	ends := rowBoundaries(t, samples)
	w, err := NewJTLWriter(f, "results.jtl", testSteps, JTLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; werr == nil; i++ {
		if i == len(samples) {
			werr = w.Flush()
			break
		}
		werr = w.Write(&samples[i])
	}
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("want ENOSPC on a 64 KiB tmpfs, got %v", werr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if w.Rows() == 0 || len(data) > 64<<10 {
		t.Fatalf("rows %d, file %d bytes", w.Rows(), len(data))
	}
	checkTruncated(t, data, full, ends, w.Rows())
	t.Logf("%v; file %d bytes", werr, len(data))
}

func FuzzJTLRow(f *testing.F) {
	f.Add("Home Page", "OK", "https://example.com/", "", "")
	f.Add(`a,"b"`, "line\nbreak", "http://h/?q=a,b", "Non HTTP response code: java.net.SocketException", "x\r\ny")
	f.Add("Заказ", "\"quoted\"", "", "200", "\r")
	f.Add("", ",", "\n", "\"", "")
	f.Fuzz(func(t *testing.T, label, message, url, code, failure string) {
		steps := []StepInfo{{Label: label, Scenario: label}}
		var mf memFile
		w, err := NewJTLWriter(&mf, "results.jtl", steps, JTLOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := Sample{Start: 1700000000000e6, Elapsed: 5e6, VU: 9, Status: 200, Code: code,
			Message: message, FailureMessage: failure, URL: url}
		if err := w.Write(&s); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		recs := readCSV(t, mf.data)
		if len(recs) != 2 {
			t.Fatalf("%d records, want 2", len(recs))
		}
		// encoding/csv turns a quoted "\r\n" into "\n"; JMeter's reader keeps it.
		norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		wantCode := code
		if code == "" {
			wantCode = "200"
		}
		rec := recs[1]
		for _, c := range []struct {
			col  int
			want string
		}{
			{2, label}, {3, wantCode}, {4, message}, {5, label + " 1-9"}, {8, failure}, {13, url},
		} {
			if rec[c.col] != norm(c.want) {
				t.Errorf("column %d: read back %q, want %q", c.col, rec[c.col], norm(c.want))
			}
		}
	})
}

// discardFile is a File that drops everything.
type discardFile struct{}

func (discardFile) Write(p []byte) (int, error)    { return len(p), nil }
func (discardFile) Truncate(int64) error           { return nil }
func (discardFile) Seek(int64, int) (int64, error) { return 0, nil }

func BenchmarkJTLWrite(b *testing.B) {
	w, err := NewJTLWriter(discardFile{}, "results.jtl", testSteps, JTLOptions{})
	if err != nil {
		b.Fatal(err)
	}
	s := Sample{
		Start: 1700000000000_000_000, Elapsed: 12_345_678, Latency: 10_000_000, Connect: 1_200_000,
		Sent: 312, Received: 4821, Step: 0, VU: 17, GrpThreads: 50, AllThreads: 100,
		Status: 200, Success: true, Message: "OK", URL: "https://api.example.com/v1/orders?page=2",
	}
	w.appendRow(nil, &s) // warm up
	b.SetBytes(int64(len(w.appendRow(nil, &s))))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Start += 1e6
		if err := w.Write(&s); err != nil {
			b.Fatal(err)
		}
	}
}
