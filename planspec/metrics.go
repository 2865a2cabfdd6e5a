package planspec

// MetricKind classifies a metric for threshold aggregations.
type MetricKind int

// Metric kinds (k6 vocabulary).
const (
	Trend   MetricKind = iota // durations in ms: avg min max med p(N) count
	Counter                   // count, rate (per second of run time)
	Rate                      // rate (share of true values), count
	Gauge                     // value, min, max
)

// Metric names usable in thresholds and reported in the summary.
const (
	MetricReqDuration          = "http_req_duration"
	MetricReqDurationCorrected = "http_req_duration_corrected"
	MetricReqWaiting           = "http_req_waiting"
	MetricReqConnecting        = "http_req_connecting"
	MetricReqs                 = "http_reqs"
	MetricReqFailed            = "http_req_failed"
	MetricChecks               = "checks"
	MetricIterations           = "iterations"
	MetricDroppedIterations    = "dropped_iterations"
	MetricVUs                  = "vus"
	MetricVUsMax               = "vus_max"
)

// Metrics maps every known metric name to its kind.
var Metrics = map[string]MetricKind{
	MetricReqDuration:          Trend,
	MetricReqDurationCorrected: Trend,
	MetricReqWaiting:           Trend,
	MetricReqConnecting:        Trend,
	MetricReqs:                 Counter,
	MetricReqFailed:            Rate,
	MetricChecks:               Rate,
	MetricIterations:           Counter,
	MetricDroppedIterations:    Counter,
	MetricVUs:                  Gauge,
	MetricVUsMax:               Gauge,
}

// Aggregations lists the aggregation methods valid for each metric kind.
var Aggregations = map[MetricKind][]string{
	Trend:   {"avg", "min", "max", "med", "p", "count"},
	Counter: {"count", "rate"},
	Rate:    {"rate", "count"},
	Gauge:   {"value", "min", "max"},
}

// TagKeys lists the tag filters thresholds may use.
var TagKeys = []string{"step", "scenario", "group", "status"}
