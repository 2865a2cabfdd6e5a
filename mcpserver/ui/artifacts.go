package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/loadgen/loadgen/mcpserver"
	"github.com/loadgen/loadgen/mcpserver/store"
)

// Bounds of what one page reads from the store.
const (
	maxSessions   = 500
	maxViewBytes  = 1 << 20
	maxTabBytes   = 256 << 10
	maxReportSize = 32 << 20
)

// idRE is mcpserver's rule for session and run ids.
var idRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// checkID validates a session or run id taken from a URL.
func checkID(what, id string) error {
	if !idRE.MatchString(id) || id == "." || id == ".." {
		return fmt.Errorf("%s %q: want 1-64 letters, digits, '.', '_' or '-'", what, id)
	}
	return nil
}

// sessionPrefix is the key prefix of a session's artifacts.
func sessionPrefix(session string) string { return mcpserver.Root + session + "/" }

// artifactKey turns a session and an artifact name from a URL into a
// store key, refusing anything store.CheckKey refuses (empty, "." or ".."
// segments, backslashes, control characters…).
func artifactKey(session, name string) (string, error) {
	if err := checkID("session", session); err != nil {
		return "", err
	}
	if name == "" || strings.HasSuffix(name, "/") {
		return "", fmt.Errorf("artifact %q: not a file name", name)
	}
	key := sessionPrefix(session) + name
	if err := store.CheckKey(key); err != nil {
		return "", fmt.Errorf("artifact %q: %w", name, err)
	}
	return key, nil
}

// fileRef is one artifact of a session.
type fileRef struct {
	Name     string
	Size     int64
	Modified time.Time
}

// sessionRow is one line of the sessions list.
type sessionRow struct {
	ID       string
	Updated  time.Time
	Files    int
	Bytes    int64
	Plans    int
	Runs     int
	Analyses int
}

// listSession returns a session's artifacts, sorted by name.
func (d *Dashboard) listSession(r *http.Request, session string) ([]fileRef, error) {
	objs, err := d.store.List(r.Context(), sessionPrefix(session))
	if err != nil {
		return nil, fmt.Errorf("listing session %s: %w", session, err)
	}
	files := make([]fileRef, 0, len(objs))
	for _, o := range objs {
		files = append(files, fileRef{Name: strings.TrimPrefix(o.Key, sessionPrefix(session)), Size: o.Size, Modified: o.Modified})
	}
	return files, nil
}

// sessionsPage lists the sessions, newest first.
func (d *Dashboard) sessionsPage(w http.ResponseWriter, r *http.Request) {
	ids, err := d.store.Children(r.Context(), mcpserver.Root)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, fmt.Errorf("listing sessions: %w", err))
		return
	}
	// Ids made by the server start with their UTC time: the newest last.
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	if len(ids) > maxSessions {
		ids = ids[:maxSessions]
	}
	rows := make([]sessionRow, 0, len(ids))
	for _, id := range ids {
		if checkID("session", id) != nil {
			continue
		}
		files, err := d.listSession(r, id)
		if err != nil {
			d.fail(w, r, http.StatusInternalServerError, err)
			return
		}
		row := sessionRow{ID: id, Files: len(files)}
		runs, analyses := map[string]bool{}, map[string]bool{}
		for _, f := range files {
			row.Bytes += f.Size
			if f.Modified.After(row.Updated) {
				row.Updated = f.Modified
			}
			switch {
			case isPlanYAML(f.Name):
				row.Plans++
			case strings.HasPrefix(f.Name, mcpserver.RunsPrefix):
				runs[strings.SplitN(f.Name, "/", 3)[1]] = true
			case strings.HasSuffix(f.Name, "/report.html") && strings.HasPrefix(f.Name, mcpserver.AnalysisPrefix):
				analyses[path.Dir(f.Name)] = true
			}
		}
		row.Runs, row.Analyses = len(runs), len(analyses)
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Updated.After(rows[j].Updated) })
	d.render(w, r, http.StatusOK, "sessions", rows)
}

// isPlanYAML reports whether name is a plan of the session (plans/X.yaml).
func isPlanYAML(name string) bool {
	rest, ok := strings.CutPrefix(name, mcpserver.PlansPrefix)
	return ok && !strings.Contains(rest, "/") && (strings.HasSuffix(rest, ".yaml") || strings.HasSuffix(rest, ".yml"))
}

// tab is one rendering of a plan.
type tab struct {
	ID        string
	Label     string
	File      string
	Content   string
	Truncated bool
	Missing   bool
}

// planView is one plan with its renderings.
type planView struct {
	Name  string
	Tabs  []tab
	Files []fileRef
}

// runView is one run of a session.
type runView struct {
	ID     string
	Status *mcpserver.RunStatus
	Err    string
}

// analysisView is one plan's analysis of one run.
type analysisView struct {
	Run      string
	Plan     string
	Report   string
	Analysis string
	Insights string
	Grade    string
}

// sessionData is the session page's data.
type sessionData struct {
	ID           string
	Architecture *fileRef
	Scenarios    *fileRef
	Summary      *fileRef
	Plans        []planView
	Runs         []runView
	Analyses     []analysisView
	Files        []fileRef
}

func (d *Dashboard) sessionPage(w http.ResponseWriter, r *http.Request) {
	session := r.PathValue("session")
	if err := checkID("session", session); err != nil {
		d.fail(w, r, http.StatusBadRequest, err)
		return
	}
	files, err := d.listSession(r, session)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if len(files) == 0 {
		d.fail(w, r, http.StatusNotFound, fmt.Errorf("session %s: no artifacts", session))
		return
	}
	data := sessionData{ID: session, Files: files}
	byName := map[string]fileRef{}
	for _, f := range files {
		byName[f.Name] = f
	}
	find := func(name string) *fileRef {
		if f, ok := byName[name]; ok {
			return &f
		}
		return nil
	}
	data.Architecture = find(mcpserver.ArchitectureKey)
	data.Scenarios = find(mcpserver.ScenariosKey)
	data.Summary = find(mcpserver.SummaryKey)
	runs := map[string]bool{}
	for _, f := range files {
		switch {
		case isPlanYAML(f.Name):
			data.Plans = append(data.Plans, d.planView(r, session, f.Name, files))
		case strings.HasPrefix(f.Name, mcpserver.RunsPrefix):
			runs[strings.SplitN(f.Name, "/", 3)[1]] = true
		case strings.HasPrefix(f.Name, mcpserver.AnalysisPrefix) && strings.HasSuffix(f.Name, "/results_analysis.json"):
			parts := strings.Split(f.Name, "/")
			if len(parts) != 4 {
				continue
			}
			dir := path.Dir(f.Name) + "/"
			a := analysisView{Run: parts[1], Plan: parts[2], Analysis: f.Name}
			if _, ok := byName[dir+"report.html"]; ok {
				a.Report = dir + "report.html"
			}
			if _, ok := byName[dir+"insights.md"]; ok {
				a.Insights = dir + "insights.md"
			}
			a.Grade = d.grade(r, session, f.Name)
			data.Analyses = append(data.Analyses, a)
		}
	}
	for id := range runs {
		rv := runView{ID: id}
		var st mcpserver.RunStatus
		if err := d.readJSON(r, session, mcpserver.RunsPrefix+id+"/"+mcpserver.StatusFile, &st); err != nil {
			rv.Err = err.Error()
		} else {
			rv.Status = &st
		}
		data.Runs = append(data.Runs, rv)
	}
	sort.Slice(data.Runs, func(i, j int) bool { return data.Runs[i].ID > data.Runs[j].ID })
	sort.SliceStable(data.Analyses, func(i, j int) bool { return data.Analyses[i].Run > data.Analyses[j].Run })
	d.render(w, r, http.StatusOK, "session", data)
}

// planView gathers a plan's YAML, Java DSL and JMX renderings.
func (d *Dashboard) planView(r *http.Request, session, yamlName string, files []fileRef) planView {
	base := strings.TrimSuffix(path.Base(yamlName), path.Ext(yamlName))
	pv := planView{Name: path.Base(yamlName)}
	jmx := mcpserver.PlansPrefix + "jmeter/" + base + ".jmx"
	dsl := mcpserver.PlansPrefix + "jmeter/" + base + "/"
	var java string
	for _, f := range files {
		switch {
		case f.Name == yamlName || f.Name == jmx:
			pv.Files = append(pv.Files, f)
		case strings.HasPrefix(f.Name, dsl):
			pv.Files = append(pv.Files, f)
			if strings.HasSuffix(f.Name, ".java") && (java == "" || strings.HasSuffix(f.Name, "Test.java")) {
				java = f.Name
			}
		}
	}
	mk := func(id, label, name string) tab {
		t := tab{ID: base + "-" + id, Label: label, File: name}
		if name == "" {
			t.Missing = true
			return t
		}
		b, truncated, err := d.read(r, session, name, maxTabBytes)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			t.Missing = true
		case err != nil:
			t.Content = err.Error()
		default:
			t.Content, t.Truncated = string(b), truncated
		}
		return t
	}
	pv.Tabs = []tab{mk("yaml", "YAML", yamlName), mk("java", "Java DSL", java), mk("jmx", "JMX", jmx)}
	return pv
}

// grade returns the letter of a stored analysis, or "".
func (d *Dashboard) grade(r *http.Request, session, name string) string {
	var a struct {
		Grade struct {
			Letter string `json:"letter"`
		} `json:"grade"`
	}
	if err := d.readJSON(r, session, name, &a); err != nil {
		return ""
	}
	return a.Grade.Letter
}

// read returns up to limit bytes of an artifact and whether there was more.
func (d *Dashboard) read(r *http.Request, session, name string, limit int64) ([]byte, bool, error) {
	key, err := artifactKey(session, name)
	if err != nil {
		return nil, false, err
	}
	rc, err := d.store.Get(r.Context(), key)
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return b[:limit], true, nil
	}
	return b, false, nil
}

// readJSON decodes a whole JSON artifact of at most 16 MiB.
func (d *Dashboard) readJSON(r *http.Request, session, name string, v any) error {
	b, truncated, err := d.read(r, session, name, 16<<20)
	if err != nil {
		return err
	}
	if truncated {
		return fmt.Errorf("%s: larger than 16 MiB", name)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// viewData is the artifact viewer's data.
type viewData struct {
	Session   string
	Name      string
	Size      int64
	Kind      string // json, text or binary
	Content   string
	Truncated bool
	Report    bool
}

// statArtifact checks the request's session and artifact name and stats
// the object; on an error it has answered and ok is false.
func (d *Dashboard) statArtifact(w http.ResponseWriter, r *http.Request) (session, name, key string, obj store.Object, ok bool) {
	session, name = r.PathValue("session"), r.PathValue("name")
	key, err := artifactKey(session, name)
	if err != nil {
		d.fail(w, r, http.StatusBadRequest, err)
		return "", "", "", obj, false
	}
	if obj, err = d.store.Stat(r.Context(), key); err != nil {
		d.storeErr(w, r, err)
		return "", "", "", obj, false
	}
	return session, name, key, obj, true
}

// viewPage shows one artifact: JSON pretty-printed, text as is (escaped
// by the template), binary files as a download link only.
func (d *Dashboard) viewPage(w http.ResponseWriter, r *http.Request) {
	session, name, _, obj, ok := d.statArtifact(w, r)
	if !ok {
		return
	}
	b, truncated, err := d.read(r, session, name, maxViewBytes)
	if err != nil {
		d.storeErr(w, r, err)
		return
	}
	v := viewData{Session: session, Name: name, Size: obj.Size, Truncated: truncated,
		Report: strings.HasPrefix(name, mcpserver.AnalysisPrefix) && strings.HasSuffix(name, ".html")}
	var pretty bytes.Buffer
	switch {
	case !utf8.Valid(b) && !truncated:
		v.Kind = "binary"
	case path.Ext(name) == ".json" && !truncated && json.Indent(&pretty, b, "", "  ") == nil:
		v.Kind, v.Content = "json", pretty.String()
	default:
		v.Kind, v.Content = "text", strings.ToValidUTF8(string(b), "\uFFFD")
	}
	d.render(w, r, http.StatusOK, "view", v)
}

// storeErr renders a store error: 404 for a missing key.
func (d *Dashboard) storeErr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		d.fail(w, r, http.StatusNotFound, errors.New("no such artifact"))
		return
	}
	d.fail(w, r, http.StatusInternalServerError, err)
}

// contentTypes are the download types by extension; anything else is
// application/octet-stream.
var contentTypes = map[string]string{
	".json":       "application/json",
	".yaml":       "application/yaml",
	".yml":        "application/yaml",
	".jmx":        "application/xml",
	".xml":        "application/xml",
	".java":       "text/x-java-source; charset=utf-8",
	".md":         "text/markdown; charset=utf-8",
	".txt":        "text/plain; charset=utf-8",
	".csv":        "text/csv; charset=utf-8",
	".jtl":        "text/csv; charset=utf-8",
	".hlog":       "text/plain; charset=utf-8",
	".html":       "text/html; charset=utf-8",
	".properties": "text/plain; charset=utf-8",
}

// contentType returns the download type of name.
func contentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

// download streams an artifact as an attachment. The response is
// sandboxed, so that even an HTML file opened from it runs nothing.
func (d *Dashboard) download(w http.ResponseWriter, r *http.Request) {
	_, name, key, obj, ok := d.statArtifact(w, r)
	if !ok {
		return
	}
	rc, err := d.store.Get(r.Context(), key)
	if err != nil {
		d.storeErr(w, r, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Type", contentType(name))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(name)}))
	h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	if _, err := io.Copy(w, rc); err != nil {
		d.log.Warn("ui: download", "key", key, "err", err)
	}
}

// scriptRE finds the inline scripts of a report.
var scriptRE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// reportCSP is the policy of a stored HTML report: no network at all,
// its own inline styles, and exactly its own inline scripts (by hash), in
// a sandbox without the dashboard's origin, so that even a tampered
// report cannot reach the dashboard's cookie or API.
func reportCSP(doc []byte) string {
	var hashes []string
	for _, m := range scriptRE.FindAllSubmatch(doc, -1) {
		sum := sha256.Sum256(m[1])
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	script := "'none'"
	if len(hashes) > 0 {
		script = strings.Join(hashes, " ")
	}
	return "default-src 'none'; script-src " + script + "; style-src 'unsafe-inline'; img-src data:; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-scripts"
}

// report serves a stored HTML report inline under reportCSP.
func (d *Dashboard) report(w http.ResponseWriter, r *http.Request) {
	session, name := r.PathValue("session"), r.PathValue("name")
	if !strings.HasPrefix(name, mcpserver.AnalysisPrefix) || path.Ext(name) != ".html" {
		d.fail(w, r, http.StatusBadRequest, fmt.Errorf("%s is not an HTML report", name))
		return
	}
	if _, err := artifactKey(session, name); err != nil {
		d.fail(w, r, http.StatusBadRequest, err)
		return
	}
	b, truncated, err := d.read(r, session, name, maxReportSize)
	if err != nil {
		d.storeErr(w, r, err)
		return
	}
	if truncated {
		d.fail(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("%s is larger than %d MiB: download it", name, maxReportSize>>20))
		return
	}
	writeReport(w, b)
}

// writeReport writes a self-contained HTML document under reportCSP.
func writeReport(w http.ResponseWriter, doc []byte) {
	h := w.Header()
	h.Set("Content-Security-Policy", reportCSP(doc))
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(doc)))
	_, _ = w.Write(doc)
}

// writeJSON writes v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
