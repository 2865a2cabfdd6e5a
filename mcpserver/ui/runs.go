package ui

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/loadgen/loadgen/mcpserver"
)

// liveStatus is the JSON the live view polls: the run's status, whether
// it ended, and the running plan's numbers of the last second.
type liveStatus struct {
	mcpserver.RunStatus
	Ended bool                   `json:"ended"`
	Live  *mcpserver.LiveNumbers `json:"live_now"`
	Plan  *mcpserver.PlanRun     `json:"plan_now"`
}

// ended reports whether a run state is final.
func ended(state string) bool {
	switch state {
	case mcpserver.StateCompleted, mcpserver.StateFailed, mcpserver.StateCancelled:
		return true
	}
	return false
}

// status asks get_test_status for a run's status.
func (d *Dashboard) status(r *http.Request) (*liveStatus, int, error) {
	session, run := r.PathValue("session"), r.PathValue("run")
	if err := checkID("session", session); err != nil {
		return nil, http.StatusBadRequest, err
	}
	if err := checkID("run", run); err != nil {
		return nil, http.StatusBadRequest, err
	}
	res, err := d.call(r.Context(), "get_test_status", map[string]any{"session_id": session, "run_id": run})
	if err != nil {
		return nil, http.StatusBadGateway, err
	}
	var st liveStatus
	if err := decode(res, &st.RunStatus); err != nil {
		return nil, http.StatusNotFound, err
	}
	st.Ended = ended(st.State)
	for i := range st.Plans {
		p := &st.Plans[i]
		if p.Name == st.Current || (st.Current == "" && p.Live != nil) {
			st.Plan, st.Live = p, p.Live
		}
	}
	if st.Plan == nil && len(st.Plans) > 0 {
		st.Plan = &st.Plans[len(st.Plans)-1]
	}
	return &st, http.StatusOK, nil
}

// statusAPI serves a run's liveStatus as JSON.
func (d *Dashboard) statusAPI(w http.ResponseWriter, r *http.Request) {
	st, code, err := d.status(r)
	if err != nil {
		writeJSON(w, code, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// runData is the live view's data.
type runData struct {
	Session string
	Run     string
	Status  *liveStatus
}

// runPage is the live view of a run; the script polls statusAPI each
// second and fills the numbers in.
func (d *Dashboard) runPage(w http.ResponseWriter, r *http.Request) {
	st, code, err := d.status(r)
	if err != nil {
		d.fail(w, r, code, err)
		return
	}
	d.render(w, r, http.StatusOK, "run", runData{Session: st.SessionID, Run: st.RunID, Status: st})
}

// cancelRun calls cancel_test and goes back to the live view.
func (d *Dashboard) cancelRun(w http.ResponseWriter, r *http.Request) {
	session, run := r.PathValue("session"), r.PathValue("run")
	if checkID("session", session) != nil || checkID("run", run) != nil {
		d.fail(w, r, http.StatusBadRequest, errors.New("bad session or run id"))
		return
	}
	res, err := d.call(r.Context(), "cancel_test", map[string]any{"session_id": session, "run_id": run})
	if err != nil {
		d.fail(w, r, http.StatusBadGateway, err)
		return
	}
	if res.IsError {
		d.fail(w, r, http.StatusConflict, fmt.Errorf("cancel_test: %s", resultText(res)))
		return
	}
	http.Redirect(w, r, d.base+"s/"+session+"/runs/"+run, http.StatusSeeOther)
}

// analyzeRun calls analyze_test_results for the run and shows the result
// on that tool's page, with links to the reports.
func (d *Dashboard) analyzeRun(w http.ResponseWriter, r *http.Request) {
	session, run := r.PathValue("session"), r.PathValue("run")
	if checkID("session", session) != nil || checkID("run", run) != nil {
		d.fail(w, r, http.StatusBadRequest, errors.New("bad session or run id"))
		return
	}
	r.SetPathValue("tool", "analyze_test_results")
	vals := map[string]string{"session_id": session, "run_id": run}
	data, ok := d.toolForm(w, r, func(k string) string { return vals[k] })
	if !ok {
		return
	}
	d.showResult(w, r, data, map[string]any{"session_id": session, "run_id": run})
}
