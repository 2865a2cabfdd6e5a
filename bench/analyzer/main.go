// Command analyzer runs results.Analyze on one JTL file and prints timing
// and summary statistics as JSON, for the analysis benchmark
// (bench/analyze.sh).
//
// Usage: analyzer [-hlog latency.hlog] [-cpuprofile cpu.prof] [-full] file.jtl
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/loadgen/loadgen/loadgen/results"
)

// summary is what the analyzer prints.
type summary struct {
	File          string               `json:"file"`
	Bytes         int64                `json:"bytes"`
	Rows          int64                `json:"rows"`
	SkippedRows   int64                `json:"skipped_rows"`
	TxRows        int64                `json:"transaction_rows"`
	Seconds       float64              `json:"seconds"`
	MBPerSec      float64              `json:"mb_per_s"`
	RowsPerSec    float64              `json:"rows_per_s"`
	TotalAllocMB  float64              `json:"total_alloc_mb"`
	Mallocs       uint64               `json:"mallocs"`
	NumGC         uint32               `json:"num_gc"`
	Labels        int                  `json:"labels"`
	ErrorTypes    int                  `json:"error_types"`
	SeriesSeconds int                  `json:"series_seconds"`
	Total         results.LabelStats   `json:"total"`
	TopErrors     []results.ErrorCount `json:"top_errors"`
}

func main() {
	hlog := flag.String("hlog", "", "HDR interval log to read too")
	cpuProf := flag.String("cpuprofile", "", "write a CPU profile to this file")
	full := flag.Bool("full", false, "print the whole analysis instead of a summary")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: analyzer [-hlog file] [-cpuprofile file] [-full] file.jtl")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *hlog, *cpuProf, *full); err != nil {
		fmt.Fprintln(os.Stderr, "analyzer:", err)
		os.Exit(1)
	}
}

func run(path, hlog, cpuProf string, full bool) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if cpuProf != "" {
		f, err := os.Create(cpuProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	a, err := results.Analyze(context.Background(), path, results.Options{HLog: hlog})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if full {
		return enc.Encode(a)
	}
	s := summary{
		File: path, Bytes: fi.Size(), Rows: a.Source.Rows, SkippedRows: a.SkippedRows,
		TxRows: a.TransactionRows, Seconds: secs,
		MBPerSec: float64(fi.Size()) / 1e6 / secs, RowsPerSec: float64(a.Source.Rows) / secs,
		TotalAllocMB: float64(ms.TotalAlloc) / 1e6, Mallocs: ms.Mallocs, NumGC: ms.NumGC,
		Labels: len(a.Labels), ErrorTypes: len(a.Errors), SeriesSeconds: len(a.Series),
		Total: a.Total, TopErrors: a.Errors[:min(5, len(a.Errors))],
	}
	return enc.Encode(s)
}
