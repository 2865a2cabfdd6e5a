// Package record turns request samples into the run's outputs: the JMeter
// JTL CSV (results.jtl) and the HdrHistogram interval log (latency.hlog).
//
// Samples are produced by VUs on the hot path and consumed by one recorder
// goroutine; nothing here is safe for concurrent use unless it says so.
package record

// Sample is the measurement of one request (or one transaction row when
// Transaction is true). Times are nanoseconds.
type Sample struct {
	// Start is the wall-clock time (Unix ns) when writing the request began:
	// the JTL timeStamp.
	Start int64
	// Elapsed is write start → last response byte (JTL elapsed).
	Elapsed int64
	// Latency is write start → first response byte (JTL Latency).
	Latency int64
	// Connect is the connection setup time, 0 on a reused connection.
	Connect int64
	// Corrected is intended start → last byte; equals Elapsed for VU executors.
	Corrected int64

	Sent     int64 // bytes sent (request line, headers, body)
	Received int64 // bytes received (status line, headers, body)

	// Step indexes the run's label table (Labels.Steps).
	Step int32
	// VU is the 1-based VU number within its scenario.
	VU int32
	// GrpThreads and AllThreads are the active VUs in the scenario and in
	// the whole run when the sample finished.
	GrpThreads int32
	AllThreads int32

	// Status is the HTTP status code, 0 when no response arrived.
	Status int32
	// Success is the sample outcome (2xx/3xx and all checks held).
	Success bool
	// Binary marks image/audio/video bodies (JTL dataType "bin").
	Binary bool
	// Transaction marks a group (JMeter Transaction Controller) row.
	Transaction bool
	// Children and FailedChildren count a transaction's samples.
	Children, FailedChildren int32
	// Checks and ChecksFailed count the step's check expressions evaluated
	// on this response (the checks rate metric).
	Checks, ChecksFailed int32

	// Code and Message are the JTL responseCode and responseMessage; Code is
	// empty for ordinary HTTP responses (the status is formatted instead),
	// and both are empty with Status 0 when no request was sent.
	Code    string
	Message string
	// FailureMessage is the first failed check's message, else "".
	FailureMessage string
	// URL is the full request URL ("null" is written for transactions).
	URL string
}

// StepInfo describes one entry of the label table.
type StepInfo struct {
	Label    string // JTL label (step or group name)
	Scenario string // scenario name (threadName prefix)
	Group    string // innermost enclosing group name, "" at top level
	Arrival  bool   // the scenario uses an arrival-rate executor
}
