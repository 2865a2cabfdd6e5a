// Command jtlgen writes a large, realistic JMeter JTL file for the analysis
// benchmark (bench/analyze.sh): the stock 17-column header, 20 labels (some
// with commas and quotes, two of them transaction controllers), about 1%
// failed samples of several kinds, roughly ordered start timestamps.
//
// Usage: jtlgen -rows 10000000 -out bench/.work/bench.jtl
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// sampler is one label with its URL path and typical latency.
type sampler struct {
	label    string
	path     string
	medianMs float64
}

var samplers = []sampler{
	{"Home Page", "/", 40},
	{"login", "/api/v1/login", 120},
	{"logout", "/api/v1/logout", 30},
	{"GET /api/v1/products", "/api/v1/products", 90},
	{"GET /api/v1/products/{id}", "/api/v1/products/", 60},
	{`Search, "advanced"`, "/api/v1/search", 250},
	{"Search, simple", "/api/v1/search", 150},
	{"add to cart", "/api/v1/cart/items", 80},
	{"view cart", "/api/v1/cart", 50},
	{"update cart", "/api/v1/cart/items/", 70},
	{"checkout", "/api/v1/checkout", 400},
	{"payment", "/api/v1/payments", 600},
	{"order status", "/api/v1/orders/", 45},
	{"order history", "/api/v1/orders", 110},
	{"profile", "/api/v1/users/me", 35},
	{`update "profile"`, "/api/v1/users/me", 95},
	{"recommendations", "/api/v1/recommendations", 300},
	{"static: app.js", "/static/app.js", 10},
}

// transactions are the two Transaction Controller labels.
var transactions = []string{"Browse flow", "Checkout flow"}

type failure struct {
	code, msg, failureMsg string
}

var failures = []failure{
	{"500", "Internal Server Error", ""},
	{"503", "Service Unavailable", ""},
	{"404", "Not Found", ""},
	{"200", "OK", "Response was null"},
	{"Non HTTP response code: java.net.SocketTimeoutException", "Non HTTP response message: Read timed out", ""},
	{"Non HTTP response code: org.apache.http.NoHttpResponseException", "Non HTTP response message: 127.0.0.1:8080 failed to respond", ""},
}

func main() {
	rows := flag.Int64("rows", 10_000_000, "data rows to write")
	out := flag.String("out", "bench.jtl", "output file")
	seed := flag.Uint64("seed", 1, "PRNG seed")
	rate := flag.Float64("rate", 2000, "rows per second of simulated time")
	flag.Parse()
	if err := run(*rows, *out, *seed, *rate); err != nil {
		fmt.Fprintln(os.Stderr, "jtlgen:", err)
		os.Exit(1)
	}
}

func quote(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func run(rows int64, out string, seed uint64, rate float64) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	qlabels := make([]string, len(samplers))
	for i, s := range samplers {
		qlabels[i] = quote(s.label)
	}
	const threads = 200
	base := int64(1_700_000_000_000)
	w.WriteString("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n")
	b := make([]byte, 0, 512)
	for i := int64(0); i < rows; i++ {
		ts := base + int64(float64(i)*1000/rate) + rng.Int64N(400) - 200
		vu := 1 + rng.IntN(threads)
		b = b[:0]
		if rng.IntN(100) < 5 { // transaction controller row
			tx := transactions[rng.IntN(len(transactions))]
			n := 3 + rng.IntN(4)
			failed := 0
			if rng.IntN(100) == 0 {
				failed = 1
			}
			elapsed := int64(math.Exp(math.Log(600)+0.5*rng.NormFloat64())) + 1
			b = strconv.AppendInt(b, ts, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, elapsed, 10)
			b = append(b, ',')
			b = append(b, tx...)
			b = append(b, ',')
			if failed == 0 {
				b = append(b, "200"...)
			}
			b = append(b, `,"Number of samples in transaction : `...)
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, `, number of failing samples : `...)
			b = strconv.AppendInt(b, int64(failed), 10)
			b = append(b, `",Scenario 1 1-`...)
			b = strconv.AppendInt(b, int64(vu), 10)
			b = append(b, ",,"...)
			b = strconv.AppendBool(b, failed == 0)
			b = append(b, ",,"...)
			b = strconv.AppendInt(b, int64(n*(2000+rng.IntN(6000))), 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(n*(300+rng.IntN(200))), 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, threads, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, threads, 10)
			b = append(b, ",null,"...)
			b = strconv.AppendInt(b, elapsed/2, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(rng.IntN(500)), 10)
			b = append(b, ",0\n"...)
			w.Write(b)
			continue
		}
		si := rng.IntN(len(samplers))
		s := samplers[si]
		elapsed := int64(math.Exp(math.Log(s.medianMs)+0.6*rng.NormFloat64())) + 1
		connect := int64(0)
		if rng.IntN(50) == 0 {
			connect = 1 + rng.Int64N(20)
		}
		latency := min(elapsed, connect+elapsed*3/4)
		ok := rng.IntN(100) != 0
		code, msg, fmsg := "200", "OK", ""
		if !ok {
			fl := failures[rng.IntN(len(failures))]
			code, msg, fmsg = fl.code, fl.msg, fl.failureMsg
		}
		b = strconv.AppendInt(b, ts, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, elapsed, 10)
		b = append(b, ',')
		b = append(b, qlabels[si]...)
		b = append(b, ',')
		b = append(b, code...)
		b = append(b, ',')
		b = append(b, msg...)
		b = append(b, ",Scenario 1 1-"...)
		b = strconv.AppendInt(b, int64(vu), 10)
		b = append(b, ",text,"...)
		b = strconv.AppendBool(b, ok)
		b = append(b, ',')
		b = append(b, fmsg...)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(200+rng.IntN(20000)), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(150+rng.IntN(400)), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, threads, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, threads, 10)
		b = append(b, ",http://127.0.0.1:8080"...)
		b = append(b, s.path...)
		if strings.HasSuffix(s.path, "/") && len(s.path) > 1 {
			b = strconv.AppendInt(b, int64(rng.IntN(100000)), 10)
		}
		if si == 5 || si == 6 {
			b = append(b, "?q=item"...)
			b = strconv.AppendInt(b, int64(rng.IntN(1000)), 10)
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, latency, 10)
		b = append(b, ",0,"...)
		b = strconv.AppendInt(b, connect, 10)
		b = append(b, '\n')
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
