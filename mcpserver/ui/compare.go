package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/mcpserver"
)

// analysisFile is the name of a plan's stored analysis.
const analysisFile = "results_analysis.json"

// analysisRef names one stored analysis: SESSION/analysis/RUN/PLAN/results_analysis.json.
type analysisRef struct {
	Ref     string
	Session string
	Run     string
	Plan    string
}

// Label describes the analysis in a selector.
func (a analysisRef) Label() string {
	return fmt.Sprintf("%s · run %s · %s", a.Session, a.Run, a.Plan)
}

// analyses lists the stored analyses of every session, newest run first.
func (d *Dashboard) analyses(r *http.Request) ([]analysisRef, error) {
	ids, err := d.store.Children(r.Context(), mcpserver.Root)
	if err != nil {
		return nil, fmt.Errorf("listing sessions: %w", err)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	if len(ids) > maxSessions {
		ids = ids[:maxSessions]
	}
	var out []analysisRef
	for _, id := range ids {
		if checkID("session", id) != nil {
			continue
		}
		objs, err := d.store.List(r.Context(), sessionPrefix(id)+mcpserver.AnalysisPrefix)
		if err != nil {
			return nil, fmt.Errorf("listing the analyses of %s: %w", id, err)
		}
		for _, o := range objs {
			name := strings.TrimPrefix(o.Key, sessionPrefix(id))
			parts := strings.Split(name, "/")
			if len(parts) != 4 || parts[3] != analysisFile {
				continue
			}
			out = append(out, analysisRef{Ref: id + "/" + name, Session: id, Run: parts[1], Plan: parts[2]})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Run > out[j].Run })
	return out, nil
}

// loadAnalysis reads a stored analysis named by its ref.
func (d *Dashboard) loadAnalysis(r *http.Request, ref string) (*results.Analysis, error) {
	session, name, ok := strings.Cut(ref, "/")
	if !ok || !strings.HasPrefix(name, mcpserver.AnalysisPrefix) || !strings.HasSuffix(name, "/"+analysisFile) {
		return nil, fmt.Errorf("%q is not a stored analysis", ref)
	}
	var a results.Analysis
	if err := d.readJSON(r, session, name, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// compareData is the comparison page's data.
type compareData struct {
	Analyses []analysisRef
	Base     string
	New      string
	C        *results.Comparison
	Err      string
}

// comparison compares the analyses named by the base and new query
// parameters with results.Compare (the default tolerances).
func (d *Dashboard) comparison(r *http.Request) (*results.Comparison, error) {
	q := r.URL.Query()
	base, err := d.loadAnalysis(r, q.Get("base"))
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	next, err := d.loadAnalysis(r, q.Get("new"))
	if err != nil {
		return nil, fmt.Errorf("new: %w", err)
	}
	c := results.Compare(base, next, results.Tolerances{})
	c.Base, c.New = q.Get("base"), q.Get("new")
	return c, nil
}

// comparePage lets the user pick two analysed runs and shows the
// difference table.
func (d *Dashboard) comparePage(w http.ResponseWriter, r *http.Request) {
	list, err := d.analyses(r)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	q := r.URL.Query()
	data := compareData{Analyses: list, Base: q.Get("base"), New: q.Get("new")}
	status := http.StatusOK
	if data.Base != "" || data.New != "" {
		if data.C, err = d.comparison(r); err != nil {
			data.Err, status = err.Error(), http.StatusBadRequest
		}
	}
	d.render(w, r, status, "compare", data)
}

// compareReport serves the comparison as results.WriteComparisonHTML's
// self-contained page, under the reports' policy.
func (d *Dashboard) compareReport(w http.ResponseWriter, r *http.Request) {
	c, err := d.comparison(r)
	if err != nil {
		d.fail(w, r, http.StatusBadRequest, err)
		return
	}
	var buf bytes.Buffer
	if err := results.WriteComparisonHTML(&buf, c); err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	writeReport(w, buf.Bytes())
}
