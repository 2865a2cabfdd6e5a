// Command hlogmerge writes the input of the HDR log merge benchmark
// (bench/hlogmerge.sh): N worker folders, each as `loadgen run` leaves it
// for `loadgen merge`: a latency.hlog of D one-second intervals written by
// the engine's own writer (record.HDRLog, hence the hdrhistogram-go log
// writer: format 1.3, V2 compressed histograms of microseconds, 1 µs .. 1 h,
// 3 significant digits, one tag per label) and a tiny results.jtl (the stock
// JMeter header and two rows, written by record.JTLWriter), so that the JTL
// half of the merge costs next to nothing.
//
// Latencies are lognormal around 20 ms (σ 0.6) with a long tail (1% of the
// samples 5-50× slower), a few thousand samples per second and label; every
// worker starts at its own sub-second offset, as distributed workers do.
//
// Usage: hlogmerge -out DIR [-workers 100] [-seconds 3600] [-tags 1] [-samples 3000] [-seed 1]
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/loadgen/loadgen/loadgen/record"
)

func main() {
	out := flag.String("out", "", "output folder (created; worker folders go below it)")
	workers := flag.Int("workers", 100, "worker folders to write")
	seconds := flag.Int("seconds", 3600, "run duration in seconds (one interval histogram per second and tag)")
	tags := flag.Int("tags", 1, "labels (HDR log tags) per worker")
	samples := flag.Int("samples", 3000, "mean samples per second and tag of each worker")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *out == "" || *workers < 1 || *seconds < 1 || *tags < 1 || *samples < 1 {
		fmt.Fprintln(os.Stderr, "usage: hlogmerge -out DIR [-workers N] [-seconds D] [-tags T] [-samples S] [-seed N]")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	// The library's encoder allocates ~850 KB per histogram (a fresh zlib
	// writer at BestCompression): collect less often.
	debug.SetGCPercent(1000)
	q := lognormalTable(4096)
	jobs := make(chan int)
	errs := make(chan error, *workers)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for w := range jobs {
				dir := filepath.Join(*out, fmt.Sprintf("worker%03d", w+1))
				errs <- writeWorker(dir, w, *seconds, *tags, *samples, *seed, q)
			}
		})
	}
	for w := range *workers {
		jobs <- w
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hlogmerge:", err)
	os.Exit(1)
}

// runStart is the nominal start of the generated run (2027-01-15).
var runStart = time.Unix(1_800_000_000, 0)

// lognormalTable returns n quantiles of a lognormal latency distribution in
// ns (median 20 ms, σ 0.6); sampling a random point between two adjacent
// quantiles is much cheaper than exp() per sample.
func lognormalTable(n int) []float64 {
	q := make([]float64, n+1)
	for i := range q {
		p := (float64(i) + 0.5) / float64(n+1)
		z := math.Sqrt2 * math.Erfinv(2*p-1)
		q[i] = 20e6 * math.Exp(0.6*z)
	}
	return q
}

func writeWorker(dir string, w, seconds, tags, samples int, seed uint64, q []float64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, uint64(w)))
	steps := make([]record.StepInfo, tags)
	for i := range steps {
		steps[i] = record.StepInfo{Label: "GET /api/items", Scenario: "browse"}
		if tags > 1 {
			steps[i].Label = fmt.Sprintf("GET /api/items/%d", i+1)
		}
	}
	// each worker starts at its own offset within the first second
	start := runStart.Add(time.Duration(r.IntN(1000)) * time.Millisecond)

	jf, err := os.Create(filepath.Join(dir, "results.jtl"))
	if err != nil {
		return err
	}
	defer jf.Close()
	jw, err := record.NewJTLWriter(jf, "results.jtl", steps, record.JTLOptions{})
	if err != nil {
		return err
	}
	for i := range 2 {
		s := record.Sample{Start: start.Add(time.Duration(i) * 10 * time.Millisecond).UnixNano(), Elapsed: 20e6, Latency: 18e6,
			Corrected: 20e6, Sent: 128, Received: 512, VU: 1, GrpThreads: 10, AllThreads: 10, Status: 200, Success: true,
			URL: "http://127.0.0.1:18080/api/items"}
		if err := jw.Write(&s); err != nil {
			return err
		}
	}
	if err := jw.Flush(); err != nil {
		return err
	}
	if err := jf.Close(); err != nil {
		return err
	}

	hf, err := os.Create(filepath.Join(dir, "latency.hlog"))
	if err != nil {
		return err
	}
	defer hf.Close()
	hl, err := record.NewHDRLog(hf, steps, start, record.HDRLogOptions{Version: "bench"})
	if err != nil {
		return err
	}
	n := len(q) - 1
	var s record.Sample
	for k := range seconds {
		secNs := start.UnixNano() + int64(k)*int64(time.Second)
		for t := range tags {
			cnt := samples*4/5 + r.IntN(samples*2/5+1) // ±20 %
			for range cnt {
				i := r.IntN(n)
				e := q[i] + r.Float64()*(q[i+1]-q[i])
				if r.IntN(100) == 0 { // long tail
					e *= 5 + 45*r.Float64()
				}
				s.Elapsed = int64(e)
				s.Corrected = s.Elapsed
				s.Start = secNs + r.Int64N(int64(time.Second)) - s.Elapsed // ends within second k
				s.Step = int32(t)
				hl.Record(&s)
			}
		}
		if k%60 == 59 {
			if err := hl.Advance(start.Add(time.Duration(k+1) * time.Second)); err != nil {
				return err
			}
		}
	}
	if err := hl.Close(); err != nil {
		return err
	}
	return hf.Close()
}
