package results

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/record"
)

// FuzzReadHLog feeds arbitrary interval logs to the analysis's HDR log
// reader: it must return an error or histograms, never panic.
func FuzzReadHLog(f *testing.F) {
	var b bytes.Buffer
	steps := []record.StepInfo{{Label: "a, b", Scenario: "s", Arrival: true}}
	l, err := record.NewHDRLog(&b, steps, time.Unix(1_800_000_000, 0), record.HDRLogOptions{})
	if err != nil {
		f.Fatal(err)
	}
	for i := range 50 {
		s := record.Sample{Start: time.Unix(1_800_000_000, int64(i)*int64(30*time.Millisecond)).UnixNano(), Elapsed: int64(i+1) * 1000, Corrected: int64(i+2) * 1000}
		l.Record(&s)
	}
	if err := l.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte("#[Tag: x metric=http_req_duration label=\"x\"]\nTag=x,0.000,1.000,0.001,HISTFAAAAB\n"))
	f.Add([]byte("0.0,1.0,2.0,not-base64\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "latency.hlog")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		hl, err := azReadHLog(path)
		if err == nil {
			for label, h := range hl {
				if h == nil || (h.plain == nil && h.corrected == nil) {
					t.Errorf("label %q without histograms", label)
				}
			}
		}
	})
}
