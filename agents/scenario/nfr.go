package scenario

import (
	"fmt"
	"math"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/loadgen/results"
)

// Default NFRs, for keys that neither the NFR file nor the architecture
// model gives: gentle values that a development server meets.
const (
	DefaultResponseTimeP95 = "500ms"
	DefaultThroughput      = "10rps"
	DefaultErrorRate       = "1%"
)

// Origins of an NFR value (NFRs.Origin).
const (
	OriginFile    = "nfr-file"
	OriginModel   = "architecture"
	OriginDefault = "default"
	OriginUsers   = "derived from max_concurrent_users"
)

// resolveNFRs merges, key by key, the NFR file's whole-run requirements,
// the architecture model's suggestions and the defaults (in that order of
// precedence). Values the model suggested that do not parse are warnings.
// When the throughput is not given but max_concurrent_users is, the
// throughput is what that many users generate: users × requests per
// iteration ÷ the iteration time (perIteration(p95 ms) seconds).
func resolveNFRs(spec *results.NFRSpec, sug arch.NFRSuggestions, requests int, perIteration func(p95Ms float64) float64) (NFRs, []string) {
	var warns []string
	n := NFRs{Origin: map[string]string{}, MaxConcurrentUsers: max(sug.MaxConcurrentUsers, 0)}
	have := map[string]results.NFR{}
	if spec != nil {
		for _, r := range spec.NFRs {
			if r.Label != "" {
				if isLatencyKey(r.Key) {
					n.Labels = append(n.Labels, LabelNFR{Label: r.Label, Key: r.Key, Target: r.Target, Ms: r.Bound})
				}
				continue
			}
			if _, dup := have[r.Key]; !dup {
				have[r.Key] = r
				n.Origin[r.Key] = OriginFile
			}
		}
	}
	for _, kv := range [][2]string{
		{results.NFRResponseTimeP95, sug.ResponseTimeP95},
		{results.NFRResponseTimeP99, sug.ResponseTimeP99},
		{results.NFRThroughput, sug.Throughput},
		{results.NFRAvailability, sug.Availability},
		{results.NFRErrorRate, sug.ErrorRate},
	} {
		key, val := kv[0], kv[1]
		if _, ok := have[key]; ok || val == "" {
			continue
		}
		r, err := parseOne(key, val)
		if err != nil {
			warns = append(warns, fmt.Sprintf("architecture NFR suggestion %s: %q ignored: %v", key, val, err))
			continue
		}
		have[key] = r
		n.Origin[key] = OriginModel
	}
	for _, kv := range [][2]string{
		{results.NFRResponseTimeP95, DefaultResponseTimeP95},
		{results.NFRErrorRate, DefaultErrorRate},
	} {
		key, val := kv[0], kv[1]
		if _, ok := have[key]; !ok {
			r, _ := parseOne(key, val)
			have[key] = r
			n.Origin[key] = OriginDefault
		}
	}
	p95 := have[results.NFRResponseTimeP95]
	n.ResponseTimeP95, n.P95Ms = p95.Target, positive(p95.Bound, 500)
	if r, ok := have[results.NFRResponseTimeP99]; ok {
		n.ResponseTimeP99, n.P99Ms = r.Target, r.Bound
	}
	if r, ok := have[results.NFRThroughput]; ok && r.Bound > 0 {
		n.Throughput, n.RPS = r.Target, r.Bound
	} else {
		if ok {
			warns = append(warns, fmt.Sprintf("throughput %q is 0: using the default", r.Target))
		}
		n.Origin[results.NFRThroughput] = OriginDefault
		n.Throughput, n.RPS = DefaultThroughput, 10
		if n.MaxConcurrentUsers > 0 && requests > 0 {
			if it := perIteration(n.P95Ms); it > 0 {
				n.RPS = round3(float64(n.MaxConcurrentUsers) * float64(requests) / it)
				n.Throughput = formatNum(n.RPS) + "rps"
				n.Origin[results.NFRThroughput] = OriginUsers
			}
		}
	}
	er := have[results.NFRErrorRate]
	n.ErrorRate = er.Target
	budget := er.Bound
	if r, ok := have[results.NFRAvailability]; ok {
		n.Availability = r.Target
		budget = math.Min(budget, 100-r.Bound)
	}
	n.ErrorBudget = round6(math.Max(budget, 0) / 100)
	return n, warns
}

// isLatencyKey reports whether an NFR key is a response-time statistic
// that a threshold on http_req_duration expresses.
func isLatencyKey(key string) bool {
	return key == results.NFRResponseTimeP95 || key == results.NFRResponseTimeP99
}

// parseOne parses one key: value with the NFR file's parser.
func parseOne(key, val string) (results.NFR, error) {
	src, err := yaml.Marshal(map[string]string{key: val})
	if err != nil {
		return results.NFR{}, err
	}
	spec, err := results.ParseNFR(src, "nfr")
	if err != nil {
		return results.NFR{}, err
	}
	if len(spec.NFRs) != 1 {
		return results.NFR{}, fmt.Errorf("expected one requirement")
	}
	return spec.NFRs[0], nil
}

func positive(v, def float64) float64 {
	if v > 0 && !math.IsInf(v, 0) {
		return v
	}
	return def
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }
