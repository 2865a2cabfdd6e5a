package arch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/examples/demo"
	"github.com/loadgen/loadgen/loadgen/results"
)

// TestExampleMatchesDemo checks examples/architecture against the demo
// service it describes: the login works as the model says, and every
// endpoint, called with the model's examples (and the token where the
// model says one is needed), answers its first documented 2xx status.
func TestExampleMatchesDemo(t *testing.T) {
	m := analyze(t, []string{exampleDir}, Options{})
	ts := httptest.NewServer(demo.Handler(demo.Options{}))
	defer ts.Close()
	c := ts.Client()

	a := m.Auth
	body, _ := json.Marshal(a.Body)
	res, err := c.Post(ts.URL+a.Path, a.ContentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var login map[string]any
	json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	token, _ := login[strings.TrimPrefix(a.TokenPath, "$.")].(string)
	if res.StatusCode != 200 || token == "" {
		t.Fatalf("login: status %d, answer %v", res.StatusCode, login)
	}

	for _, e := range m.Endpoints {
		if e.Path == "/reset" { // answers with a connection reset, by design
			continue
		}
		t.Run(e.Method+" "+e.Path, func(t *testing.T) {
			path, q := e.Path, url.Values{}
			hdr := http.Header{}
			for _, p := range e.Parameters {
				v := fmt.Sprint(p.Example)
				switch p.In {
				case "path":
					path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(v))
				case "query":
					q.Set(p.Name, v)
				case "header":
					hdr.Set(p.Name, v)
				}
			}
			var rd io.Reader
			if e.RequestBody != nil {
				b, _ := json.Marshal(e.RequestBody.Example)
				rd = bytes.NewReader(b)
				hdr.Set("Content-Type", e.RequestBody.ContentType)
			}
			if len(e.Security) > 0 {
				hdr.Set(a.Header, a.Prefix+token)
			}
			u := ts.URL + path
			if len(q) > 0 {
				u += "?" + q.Encode()
			}
			req, _ := http.NewRequest(e.Method, u, rd)
			req.Header = hdr
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			i := slices.IndexFunc(e.Responses, func(code int) bool { return code/100 == 2 })
			if i < 0 || res.StatusCode != e.Responses[i] {
				t.Errorf("status %d, documented %v", res.StatusCode, e.Responses)
			}
			if len(e.Security) > 0 {
				req, _ := http.NewRequest(e.Method, u, bytes.NewReader([]byte(`{}`)))
				res, err := c.Do(req)
				if err == nil {
					res.Body.Close()
					if res.StatusCode != 401 || !slices.Contains(e.Responses, 401) {
						t.Errorf("without the token: status %d, documented %v", res.StatusCode, e.Responses)
					}
				}
			}
		})
	}

	if _, err := results.ParseNFRFile(filepath.Join(exampleDir, "nfrs.yaml")); err != nil {
		t.Errorf("nfrs.yaml: %v", err)
	}
}
