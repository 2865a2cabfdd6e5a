package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/loadgen/loadgen/mcpserver"
)

// schema is the part of a JSON Schema the form generator reads.
type schema struct {
	Type        any                `json:"type"`
	Description string             `json:"description"`
	Enum        []any              `json:"enum"`
	Properties  map[string]*schema `json:"properties"`
	Required    []string           `json:"required"`
	Items       *schema            `json:"items"`
}

// types returns the schema's types other than "null".
func (s *schema) types() []string {
	var out []string
	switch t := s.Type.(type) {
	case string:
		out = append(out, t)
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok && s != "null" {
				out = append(out, s)
			}
		}
	}
	return out
}

// Field kinds: how a form value becomes a JSON value.
const (
	kindText    = "text"    // string
	kindEnum    = "enum"    // string from a list
	kindFlex    = "flex"    // string or number: sent as the string typed
	kindInteger = "integer" // whole number
	kindNumber  = "number"  // number
	kindBool    = "boolean" // checkbox
	kindLines   = "lines"   // array of strings, one per line or comma
	kindJSON    = "json"    // any other value, typed as JSON
)

// field is one input of a tool form.
type field struct {
	Name        string // form name: the property path, dot-separated
	Label       string
	Kind        string
	Enum        []string
	Description string
	Required    bool
	Value       string
}

// fieldGroup is the fields of one object: the arguments themselves (Name
// ""), or one object-valued argument.
type fieldGroup struct {
	Name        string
	Description string
	Fields      []field
}

// fieldKind classifies a property schema.
func fieldKind(s *schema) string {
	ts := s.types()
	switch {
	case len(ts) == 1 && ts[0] == "string" && len(s.Enum) > 0:
		return kindEnum
	case len(ts) == 1 && ts[0] == "string":
		return kindText
	case len(ts) == 1 && ts[0] == "integer":
		return kindInteger
	case len(ts) == 1 && ts[0] == "number":
		return kindNumber
	case len(ts) == 1 && ts[0] == "boolean":
		return kindBool
	case len(ts) == 1 && ts[0] == "array" && s.Items != nil && fieldKind(s.Items) == kindText:
		return kindLines
	case len(ts) == 2 && ts[0] == "string" && (ts[1] == "number" || ts[1] == "integer"):
		return kindFlex
	}
	return kindJSON
}

// orderedProps returns a schema's property names: required ones first,
// then session_id, then the rest alphabetically.
func orderedProps(s *schema) []string {
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	rank := func(n string) int {
		switch {
		case req[n]:
			return 0
		case n == "session_id":
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names
}

// toolSchema decodes a tool's input schema.
func toolSchema(t *mcp.Tool) (*schema, error) {
	b, err := json.Marshal(t.InputSchema)
	if err != nil {
		return nil, fmt.Errorf("%s: input schema: %w", t.Name, err)
	}
	var s schema
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: input schema: %w", t.Name, err)
	}
	return &s, nil
}

// formFields generates a tool's form from its input schema: a field per
// argument, and a group of fields per object argument with properties.
func formFields(s *schema) []fieldGroup {
	groups := []fieldGroup{{}}
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	for _, name := range orderedProps(s) {
		p := s.Properties[name]
		if ts := p.types(); len(ts) == 1 && ts[0] == "object" && len(p.Properties) > 0 {
			g := fieldGroup{Name: name, Description: p.Description}
			sub := map[string]bool{}
			for _, r := range p.Required {
				sub[r] = true
			}
			for _, n := range orderedProps(p) {
				g.Fields = append(g.Fields, newField(name+"."+n, n, p.Properties[n], sub[n]))
			}
			groups = append(groups, g)
			continue
		}
		groups[0].Fields = append(groups[0].Fields, newField(name, name, p, req[name]))
	}
	return groups
}

func newField(name, label string, p *schema, required bool) field {
	f := field{Name: name, Label: label, Kind: fieldKind(p), Description: p.Description, Required: required}
	for _, e := range p.Enum {
		f.Enum = append(f.Enum, fmt.Sprint(e))
	}
	return f
}

// formArgs turns the submitted form into tool arguments: the fields'
// values (empty ones left out), then the raw JSON object, whose members
// replace the fields' (objects merge member by member).
func formArgs(groups []fieldGroup, get func(string) string, raw string) (map[string]any, error) {
	args := map[string]any{}
	for _, g := range groups {
		for _, f := range g.Fields {
			v, err := fieldValue(f, get(f.Name))
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			dst := args
			parts := strings.Split(f.Name, ".")
			for _, p := range parts[:len(parts)-1] {
				m, ok := dst[p].(map[string]any)
				if !ok {
					m = map[string]any{}
					dst[p] = m
				}
				dst = m
			}
			dst[parts[len(parts)-1]] = v
		}
	}
	if raw = strings.TrimSpace(raw); raw != "" {
		var over map[string]any
		if err := json.Unmarshal([]byte(raw), &over); err != nil {
			return nil, fmt.Errorf("raw JSON arguments: want an object: %w", err)
		}
		merge(args, over)
	}
	return args, nil
}

// merge copies src into dst, merging objects present in both.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// fieldValue converts one form value; nil means "not given".
func fieldValue(f field, s string) (any, error) {
	if f.Kind != kindJSON && f.Kind != kindLines {
		s = strings.TrimSpace(s)
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	switch f.Kind {
	case kindInteger:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a whole number", f.Name, s)
		}
		return n, nil
	case kindNumber:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", f.Name, s)
		}
		return n, nil
	case kindBool:
		return s == "on" || s == "true", nil
	case kindLines:
		var out []string
		for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' }) {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case kindJSON:
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("%s: not JSON: %w", f.Name, err)
		}
		return v, nil
	}
	return s, nil
}

// tool returns the tool named name.
func (d *Dashboard) tool(name string) *mcp.Tool {
	for _, t := range d.tools {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// call calls a tool through the in-process MCP client session.
func (d *Dashboard) call(ctx context.Context, name string, args map[string]any) (*mcp.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	res, err := d.client.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		d.log.Warn("ui: tool call", "tool", name, "err", err)
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d.log.Info("ui: tool call", "tool", name, "is_error", res.IsError)
	return res, nil
}

// resultText joins a result's text content.
func resultText(res *mcp.CallToolResult) string {
	var text []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text = append(text, tc.Text)
		}
	}
	return strings.Join(text, "\n")
}

// summaryText is a result's text for people: its text content without
// the copy of the structured result that servers add for older clients.
func summaryText(res *mcp.CallToolResult) string {
	var text []string
	for _, c := range res.Content {
		tc, ok := c.(*mcp.TextContent)
		if !ok {
			continue
		}
		if t := strings.TrimSpace(tc.Text); res.StructuredContent != nil && strings.HasPrefix(t, "{") && json.Valid([]byte(t)) {
			continue
		}
		text = append(text, tc.Text)
	}
	return strings.Join(text, "\n")
}

// decode decodes a successful result's structured content into v.
func decode(res *mcp.CallToolResult, v any) error {
	if res.IsError {
		return errors.New(resultText(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// toolsPage lists the tools.
func (d *Dashboard) toolsPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "tools", d.tools)
}

// link is a follow-up link under a tool result.
type link struct {
	Label string
	Href  string
}

// toolData is the tool page's data: the form and, after a run, the
// result.
type toolData struct {
	Tools   []*mcp.Tool
	Tool    *mcp.Tool
	Groups  []fieldGroup
	Raw     string
	Ran     bool
	Args    string
	IsError bool
	Text    string
	Output  string
	Links   []link
}

// toolForm builds a tool's form, its fields filled from get.
func (d *Dashboard) toolForm(w http.ResponseWriter, r *http.Request, get func(string) string) (*toolData, bool) {
	t := d.tool(r.PathValue("tool"))
	if t == nil {
		d.fail(w, r, http.StatusNotFound, fmt.Errorf("no tool %q", r.PathValue("tool")))
		return nil, false
	}
	s, err := toolSchema(t)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err)
		return nil, false
	}
	data := &toolData{Tools: d.tools, Tool: t, Groups: formFields(s)}
	for gi := range data.Groups {
		for fi := range data.Groups[gi].Fields {
			f := &data.Groups[gi].Fields[fi]
			f.Value = get(f.Name)
		}
	}
	return data, true
}

// toolPage shows a tool's form; query parameters named like its fields
// fill them (the session pages link here with session_id and run_id).
func (d *Dashboard) toolPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data, ok := d.toolForm(w, r, q.Get)
	if !ok {
		return
	}
	data.Raw = q.Get("raw")
	d.render(w, r, http.StatusOK, "tool", data)
}

// runTool calls a tool with the form's arguments and shows the result
// beside the form, still filled in.
func (d *Dashboard) runTool(w http.ResponseWriter, r *http.Request) {
	data, ok := d.toolForm(w, r, r.PostFormValue)
	if !ok {
		return
	}
	data.Raw = r.PostFormValue("raw")
	args, err := formArgs(data.Groups, r.PostFormValue, data.Raw)
	if err != nil {
		data.Ran, data.IsError, data.Text = true, true, err.Error()
		d.render(w, r, http.StatusBadRequest, "tool", data)
		return
	}
	d.showResult(w, r, data, args)
}

// showResult calls data.Tool with args and renders the tool page with the
// result.
func (d *Dashboard) showResult(w http.ResponseWriter, r *http.Request, data *toolData, args map[string]any) {
	data.Ran = true
	ab, _ := json.MarshalIndent(args, "", "  ")
	data.Args = string(ab)
	res, err := d.call(r.Context(), data.Tool.Name, args)
	if err != nil {
		data.IsError, data.Text = true, err.Error()
		d.render(w, r, http.StatusBadGateway, "tool", data)
		return
	}
	data.IsError, data.Text = res.IsError, summaryText(res)
	if res.StructuredContent != nil {
		b, err := json.MarshalIndent(res.StructuredContent, "", "  ")
		if err == nil {
			data.Output = string(b)
		}
		data.Links = d.resultLinks(res.StructuredContent)
	}
	d.render(w, r, http.StatusOK, "tool", data)
}

// resultLinks finds what a result points at: its session, its run (live
// view), and every stored artifact it names (reports open as reports).
func (d *Dashboard) resultLinks(out any) []link {
	m, ok := out.(map[string]any)
	if !ok {
		return nil
	}
	session, _ := m["session_id"].(string)
	if checkID("session", session) != nil {
		return nil
	}
	links := []link{{Label: "Session " + session, Href: d.base + "s/" + session}}
	if run, _ := m["run_id"].(string); checkID("run", run) == nil {
		links = append(links, link{Label: "Live view of run " + run, Href: d.base + "s/" + session + "/runs/" + run})
	}
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := v[k].(string); ok && k == "key" {
					name, ok := strings.CutPrefix(s, sessionPrefix(session))
					if !ok || seen[name] {
						continue
					}
					if _, err := artifactKey(session, name); err != nil {
						continue
					}
					seen[name] = true
					if strings.HasPrefix(name, mcpserver.AnalysisPrefix) && strings.HasSuffix(name, ".html") {
						links = append(links, link{Label: "Report " + name, Href: d.base + "s/" + session + "/report/" + name})
					} else {
						links = append(links, link{Label: name, Href: d.base + "s/" + session + "/view/" + name})
					}
					continue
				}
				walk(v[k])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(m)
	return links
}
