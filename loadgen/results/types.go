// Package results reads run results (JMeter JTL CSV, HdrHistogram interval
// logs) in one streaming pass and turns them into statistics, NFR
// compliance, a deterministic A–F grade and reports.
//
// The JSON form of [Analysis] is results_analysis.json; its schema is
// documented field by field below and in the README.
package results

import "time"

// Analysis is the content of results_analysis.json.
type Analysis struct {
	// Schema is the document version ("loadgen.results/v1").
	Schema string `json:"schema"`
	// Source names the inputs.
	Source Source `json:"source"`
	// Start and End are the first sample start and the last sample end.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// DurationS is End − Start in seconds.
	DurationS float64 `json:"duration_s"`

	// Total covers every sample except transaction (controller) rows, as
	// JMeter's dashboard Total does.
	Total LabelStats `json:"total"`
	// Labels has one entry per label, transactions included, sorted by label.
	Labels []LabelStats `json:"labels"`
	// Errors groups failed samples by JMeter's error key.
	Errors []ErrorCount `json:"errors"`
	// TopErrors lists, per sampler with errors, its five most frequent errors.
	TopErrors []SamplerErrors `json:"top_errors"`
	// Series is the per-second time series over all non-transaction samples.
	Series []Second `json:"series"`
	// Distribution is the latency percentile distribution of all
	// non-transaction samples (HdrHistogram style), by ascending percentile.
	Distribution []PercentilePoint `json:"distribution,omitempty"`

	// Apdex thresholds used, in ms.
	ApdexSatisfiedMs float64 `json:"apdex_satisfied_ms"`
	ApdexToleratedMs float64 `json:"apdex_tolerated_ms"`
	PercentileSource string  `json:"percentile_source"` // "hdr-log" or "jtl"
	SkippedRows      int64   `json:"skipped_rows"`
	SkippedExamples  []Skip  `json:"skipped_examples,omitempty"` // at most ten
	TransactionRows  int64   `json:"transaction_rows"`
	SubResultRows    int64   `json:"sub_result_rows"`

	// NFRs are the checked requirements (NFR file and plan thresholds).
	NFRs []NFRResult `json:"nfrs"`
	// Grade is the A–F grade and how it was reached.
	Grade Grade `json:"grade"`
}

// Source names the analysed inputs.
type Source struct {
	JTL  string `json:"jtl"`
	HLog string `json:"hlog,omitempty"`
	NFR  string `json:"nfr,omitempty"`
	Rows int64  `json:"rows"`
}

// LabelStats are the JMeter dashboard statistics of one label (or Total).
// Times are in ms; percentiles are exact to HDR precision over all samples.
type LabelStats struct {
	Label       string  `json:"label"`
	Transaction bool    `json:"transaction,omitempty"`
	Samples     int64   `json:"samples"`
	Failures    int64   `json:"failures"`
	ErrorPct    float64 `json:"error_pct"`
	Mean        float64 `json:"mean"`
	Min         float64 `json:"min"`
	Max         float64 `json:"max"`
	Median      float64 `json:"median"`
	P90         float64 `json:"p90"`
	P95         float64 `json:"p95"`
	P99         float64 `json:"p99"`
	// Corrected percentiles (http_req_duration_corrected) when an HDR log
	// with corrected tags was given; zero otherwise.
	CorrectedP95 float64 `json:"corrected_p95,omitempty"`
	CorrectedP99 float64 `json:"corrected_p99,omitempty"`
	// Throughput is samples per second over the label's span (JMeter:
	// count / (max end − min start)).
	Throughput    float64 `json:"throughput"`
	ReceivedKBps  float64 `json:"received_kb_per_s"`
	SentKBps      float64 `json:"sent_kb_per_s"`
	Apdex         float64 `json:"apdex"`
	BytesReceived int64   `json:"bytes_received"`
	BytesSent     int64   `json:"bytes_sent"`
	MeanLatency   float64 `json:"mean_latency"`
	MeanConnect   float64 `json:"mean_connect"`
}

// ErrorCount is one error key (JMeter's ErrorsSummaryConsumer rules).
type ErrorCount struct {
	Type         string  `json:"type"`
	Count        int64   `json:"count"`
	PctOfErrors  float64 `json:"pct_of_errors"`
	PctOfSamples float64 `json:"pct_of_samples"`
}

// SamplerErrors is one row of the "Top 5 errors by sampler" table.
type SamplerErrors struct {
	Label   string       `json:"label"`
	Samples int64        `json:"samples"`
	Errors  int64        `json:"errors"`
	Top     []ErrorCount `json:"top"`
}

// Second is one point of the time series.
type Second struct {
	T           int64   `json:"t"` // Unix seconds
	Requests    int64   `json:"requests"`
	Errors      int64   `json:"errors"`
	MaxThreads  int64   `json:"threads"` // max allThreads seen in the second
	P50         float64 `json:"p50"`
	P95         float64 `json:"p95"`
	P99         float64 `json:"p99"`
	BytesPerSec float64 `json:"bytes"`
}

// PercentilePoint is one point of the latency percentile distribution.
type PercentilePoint struct {
	// Percentile is in percent, 0..100 (99.9 is the 99.9th percentile), as
	// hdrhistogram-go's ValueAtQuantile takes it.
	Percentile float64 `json:"percentile"`
	// Ms is the latency at that percentile, in ms.
	Ms float64 `json:"ms"`
}

// Skip is one skipped input line and why.
type Skip struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
}

// NFRResult is one requirement checked against the run.
type NFRResult struct {
	Name     string  `json:"name"`   // e.g. response_time_p95, or a plan threshold key
	Label    string  `json:"label"`  // "" for the whole run
	Target   string  `json:"target"` // as written: "500ms", "<1%", "p(95) < 500"
	Measured float64 `json:"measured"`
	Unit     string  `json:"unit"` // "ms", "rps", "%"
	Pass     bool    `json:"pass"`
	// Margin is how far inside (+) or outside (−) the target the measured
	// value is, as a share of the target.
	Margin float64 `json:"margin"`
	// NoData marks a requirement with nothing to measure (it passes).
	NoData bool `json:"no_data,omitempty"`
}

// Grade is the deterministic A–F grade with its reasons.
type Grade struct {
	Letter  string  `json:"letter"`   // A, B, C, D or F
	Score   float64 `json:"score"`    // 0..100
	Risk    string  `json:"risk"`     // low, medium, high
	RiskWhy string  `json:"risk_why"` // the rule that set the risk
	// Components are the rubric's parts and the points each earned.
	Components []GradeComponent `json:"components"`
}

// GradeComponent is one part of the rubric.
type GradeComponent struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Points float64 `json:"points"`
	Max    float64 `json:"max"`
	Why    string  `json:"why"`
}
