package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/planspec"
)

// shop is a real server on 127.0.0.1 that checks a user journey: it only
// accepts the token it issued, and only with the session cookie issued with
// that token.
type shop struct {
	*httptest.Server
	mu       sync.Mutex
	tokens   map[string]session // token -> session
	logins   []login            // in arrival order
	rejected int
	echoes   []http.Header
	bodies   []string
}

type session struct{ user, sid string }

type login struct {
	vu, user string
}

func newShop(t *testing.T) *shop {
	t.Helper()
	s := &shop{tokens: map[string]session{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ User, Password string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.User == "" {
			http.Error(w, "bad login", http.StatusBadRequest)
			return
		}
		tok, sid := randHex(), randHex()
		s.mu.Lock()
		s.tokens[tok] = session{user: in.User, sid: sid}
		s.logins = append(s.logins, login{vu: r.Header.Get("X-VU"), user: in.User})
		s.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/"})
		w.Header().Set("Location", "/users/"+in.User)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "user": in.User, "items": []map[string]any{{"id": 7}, {"id": 8, "name": "x"}}})
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.auth(r)
		if !ok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"user": sess.user})
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.echoes = append(s.echoes, r.Header.Clone())
		s.bodies = append(s.bodies, r.URL.RawQuery+"|"+string(b))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// auth accepts a token this server issued, sent with its own session cookie.
func (s *shop) auth(r *http.Request) (session, bool) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	c, err := r.Cookie("sid")
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.tokens[tok]
	if !ok || err != nil || c.Value != sess.sid {
		s.rejected++
		return session{}, false
	}
	return sess, true
}

func randHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// runFlow writes a plan with a users.csv feeder beside it and runs it.
func runFlow(t *testing.T, yaml, targetURL string, users string) (*Summary, string, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte(users), 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.ReplaceAll(yaml, "TARGET", targetURL)
	p, err := planspec.Parse([]byte(src), filepath.Join(dir, "plan.yaml"), planspec.Options{})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sum, err := Run(ctx, p, Options{Out: out, Seed: 7})
	return sum, out, err
}

const usersCSV = "\ufeffname,password\nann,pw1\n\"bob, jr\",pw2\ncid,\"p\"\"w3\"\n"

const journey = `
version: 1
name: journey
target: TARGET
data:
  users: {file: users.csv, order: sequential, share: SHARE}
scenarios:
  - name: shop
    executor: per-vu-iterations
    vus: 2
    iterations: 4
    steps:
      - name: login
        request:
          method: POST
          url: /login
          headers: {X-VU: "${__vu}"}
          json: {user: "${users.name}", password: "${users.password}"}
        extract:
          token: {json: $.token}
          where: {header: Location}
          second: {json: "$.items[*].name"}
        check: [status == 200, json.user == "${users.name}" || true]
      - name: me
        request:
          url: /me
          headers: {Authorization: "Bearer ${token}"}
        check:
          - status == 200
          - json.user != ""
`

func TestFlowCarriesTokenAndCookiePerVU(t *testing.T) {
	for _, share := range []string{"all", "vu"} {
		t.Run("share "+share, func(t *testing.T) {
			s := newShop(t)
			sum, out, err := runFlow(t, strings.ReplaceAll(journey, "SHARE", share), s.URL, usersCSV)
			if err != nil {
				t.Fatal(err)
			}
			if s.rejected != 0 || sum.Total.Errors != 0 || sum.Total.Count != 16 {
				t.Fatalf("rejected %d, errors %d, count %d", s.rejected, sum.Total.Errors, sum.Total.Count)
			}
			if sum.Total.Checks != 32 || sum.Total.ChecksFailed != 0 {
				t.Errorf("checks %d failed %d, want 32 and 0", sum.Total.Checks, sum.Total.ChecksFailed)
			}
			rows := jtlRows(t, out)
			for _, r := range rows {
				if r[cSuccess] != "true" {
					t.Errorf("failed row %v", r)
				}
			}
			users := []string{"ann", "bob, jr", "cid"}
			perVU := map[string][]string{}
			count := map[string]int{}
			for _, l := range s.logins {
				perVU[l.vu] = append(perVU[l.vu], l.user)
				count[l.user]++
			}
			if share == "vu" {
				// each VU reads the file from its first row
				for vu, seq := range perVU {
					want := []string{"ann", "bob, jr", "cid", "ann"}
					if strings.Join(seq, "|") != strings.Join(want, "|") {
						t.Errorf("VU %s read %q, want %q", vu, seq, want)
					}
				}
			} else {
				// one cursor for all: 8 iterations over 3 rows in order
				if count[users[0]] != 3 || count[users[1]] != 3 || count[users[2]] != 2 {
					t.Errorf("rows used %v, want 3/3/2 in file order", count)
				}
			}
		})
	}
}

func TestFlowFailures(t *testing.T) {
	s := newShop(t)
	sum, out, err := runFlow(t, `
version: 1
name: failures
target: TARGET
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 1
    iterations: 2
    steps:
      - name: login
        request: {method: POST, url: /login, json: {user: ann}}
        extract:
          missing: {json: $.nope}
        check: [status == 200, json.user == "bob", size > 0]
      - name: uses missing
        request: {url: /me, headers: {Authorization: "Bearer ${missing}"}}
      - name: stops here
        request: {url: /me}
        on_failure: stop_iteration
      - name: never
        request: {url: /echo}
`, s.URL, usersCSV)
	if err != nil && !strings.Contains(err.Error(), "threshold") {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	labels := countBy(rows, cLabel)
	if labels["never"] != 0 || labels["stops here"] != 2 || labels["uses missing"] != 2 {
		t.Fatalf("labels %v: on_failure: stop_iteration must end the iteration", labels)
	}
	for _, r := range rows {
		switch r[cLabel] {
		case "login":
			if r[cSuccess] != "false" || r[cFailure] != `json.user == "bob"` || r[cCode] != "200" {
				t.Errorf("login row %q: want the first failing check as failureMessage", r)
			}
		case "uses missing":
			if r[cSuccess] != "false" || r[cFailure] != "undefined variable: missing" || r[cCode] != "" || r[cMessage] != "" || r[cSent] != "0" {
				t.Errorf("undefined variable row %q", r)
			}
		}
	}
	if s.rejected != 2 { // only "stops here" reached the server without a token
		t.Errorf("server rejected %d requests, want 2", s.rejected)
	}
	if sum.Total.Checks != 6 || sum.Total.ChecksFailed != 2 {
		t.Errorf("checks %d failed %d, want 6 and 2", sum.Total.Checks, sum.Total.ChecksFailed)
	}
}

func TestFlowCookiesDisabled(t *testing.T) {
	s := newShop(t)
	sum, _, err := runFlow(t, `
version: 1
name: nocookies
target: TARGET
http: {cookies: false}
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 1
    iterations: 2
    steps:
      - name: login
        request: {method: POST, url: /login, json: {user: ann}}
        extract: {token: {json: $.token}}
      - name: me
        request: {url: /me, headers: {Authorization: "Bearer ${token}"}}
`, s.URL, usersCSV)
	if err != nil {
		t.Fatal(err)
	}
	// the token is right but no session cookie goes with it
	if s.rejected != 2 || sum.Total.Errors != 2 {
		t.Errorf("rejected %d errors %d, want 2 and 2", s.rejected, sum.Total.Errors)
	}
}

func TestFlowTemplatesAndBodies(t *testing.T) {
	s := newShop(t)
	_, out, err := runFlow(t, `
version: 1
name: templates
target: TARGET
vars: {greeting: "say \"hi\"\nnow", tenant: acme}
data:
  users: {file: users.csv, order: random}
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 2
    iterations: 3
    steps:
      - name: json
        request:
          method: POST
          url: /echo?t=${tenant}
          headers: {X-Ids: "${__vu}/${__iter}/${__uuid}/${__randInt(5,9)}/${__timestamp}", X-User: "${users.name}"}
          json: {msg: "${greeting}", user: "${users.name}", n: 42, list: ["${__vu}", x]}
      - name: form
        request:
          method: POST
          url: /echo
          query: {q: "${users.name} & more"}
          form: {name: "${users.name}", pw: "${users.password}"}
      - name: raw
        request: {method: PUT, url: "/echo?lit=a b&vu=${__vu}", body: "raw ${tenant} $${literal}"}
`, s.URL, usersCSV)
	if err != nil {
		t.Fatal(err)
	}
	if rows := jtlRows(t, out); len(s.echoes) != 18 || len(rows) != 18 {
		t.Fatalf("%d echo requests, want 18", len(s.echoes))
	}
	ids := regexp.MustCompile(`^([12])/([0-2])/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/[5-9]/(\d{13})$`)
	users := map[string]bool{"ann": true, "bob, jr": true, "cid": true}
	for i, h := range s.echoes {
		body := s.bodies[i]
		query, payload, _ := strings.Cut(body, "|")
		switch {
		case h.Get("Content-Type") == "application/json":
			m := ids.FindStringSubmatch(h.Get("X-Ids"))
			if m == nil {
				t.Fatalf("X-Ids %q", h.Get("X-Ids"))
			}
			if ts, _ := strconv.ParseInt(m[3], 10, 64); time.Since(time.UnixMilli(ts)) > time.Minute {
				t.Errorf("__timestamp %d is not now", ts)
			}
			var got struct {
				Msg, User string
				N         int
				List      []string
			}
			if err := json.Unmarshal([]byte(payload), &got); err != nil {
				t.Fatalf("json body %q: %v", payload, err)
			}
			if got.Msg != "say \"hi\"\nnow" || !users[got.User] || got.User != h.Get("X-User") || got.N != 42 || got.List[0] != m[1] || got.List[1] != "x" {
				t.Errorf("json body %+v (X-User %q)", got, h.Get("X-User"))
			}
			if query != "t=acme" {
				t.Errorf("query %q", query)
			}
		case strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded"):
			q, _ := parseQuery(query)
			f, _ := parseQuery(payload)
			if !users[f["name"]] || !strings.HasSuffix(q["q"], " & more") || strings.TrimSuffix(q["q"], " & more") != f["name"] {
				t.Errorf("form %q query %q", payload, query)
			}
		default:
			if payload != "raw acme ${literal}" || (query != "lit=a%20b&vu=1" && query != "lit=a%20b&vu=2") {
				t.Errorf("raw body %q, query %q", payload, query)
			}
		}
	}
}

func parseQuery(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range strings.Split(s, "&") {
		k, v, _ := strings.Cut(kv, "=")
		k, err1 := urlUnescape(k)
		v, err2 := urlUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, err1
		}
		m[k] = v
	}
	return m, nil
}

func urlUnescape(s string) (string, error) {
	r, err := http.NewRequest("GET", "http://x/?a="+s, nil)
	if err != nil {
		return "", err
	}
	return r.URL.Query().Get("a"), nil
}

func TestFlowStepThinkTime(t *testing.T) {
	s := newShop(t)
	_, out, err := runFlow(t, `
version: 1
name: think
target: TARGET
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 1
    iterations: 2
    think_time: 10ms
    steps:
      - name: a
        request: {url: /echo}
        think_time: {min: 200ms, max: 250ms}
      - name: b
        request: {url: /echo}
`, s.URL, usersCSV)
	if err != nil {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	var last int64
	for _, r := range rows {
		ts, _ := strconv.ParseInt(r[cTimeStamp], 10, 64)
		el, _ := strconv.ParseInt(r[cElapsed], 10, 64)
		if el > 100 {
			t.Errorf("elapsed %d ms includes think time", el)
		}
		if r[cLabel] == "b" && ts-last < 200 {
			t.Errorf("b started %d ms after a, want >= 200 (step think time wins)", ts-last)
		}
		last = ts
	}
}

func TestTransactionRowMatchesJMeter(t *testing.T) {
	s := newShop(t)
	_, out, err := runFlow(t, `
version: 1
name: txn
target: TARGET
scenarios:
  - name: Thread Group
    executor: per-vu-iterations
    vus: 1
    iterations: 1
    steps:
      - group: checkout, "fast"
        steps:
          - name: ok
            request: {url: /echo}
          - name: denied
            request: {url: /me}
`, s.URL, usersCSV)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(out, JTLFile))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	// JMeter 5.6 TransactionController (parent=false): code empty when a
	// child failed, dataType empty, URL null, bytes summed
	tc := regexp.MustCompile(`^\d{13},\d+,"checkout, ""fast""",,"Number of samples in transaction : 2, number of failing samples : 1",Thread Group 1-1,,false,,\d+,\d+,1,1,null,\d+,0,\d+$`)
	if len(lines) != 4 || !tc.MatchString(lines[3]) {
		t.Fatalf("transaction row:\n%s", strings.Join(lines, "\n"))
	}
}

// TestLookupJSONMatchesEval checks that the fast extraction path gives the
// variable value the full parse gives.
func TestLookupJSONMatchesEval(t *testing.T) {
	body := `{"s":"a\"b\u00e9\n","n":42,"f":42.0,"g":1.5,"e":1e-7,"big":12345678901234567890,"t":true,"z":null,
	"o":{"b":[1,{"c":"deep"}],"a":2},"arr":[{"x":1},{"y":"second"}],"[k]":1,"odd key":"v"}`
	paths := []string{"$.s", "$.n", "$.f", "$.g", "$.e", "$.big", "$.t", "$.z", "$.o", "$.o.b", "$.o.b[1].c",
		"$.arr[1].y", "$.arr[5]", "$.missing", "$.o.b[0].c", "$['odd key']", "$.arr"}
	for _, p := range paths {
		segs, err := planspec.ParseJSONPath(p)
		if err != nil {
			t.Fatal(err)
		}
		keys := parserKeys(segs)
		if keys == nil {
			t.Fatalf("%s: no fast path", p)
		}
		var doc any
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		want, wantOK := "", false
		if v, ok := planspec.EvalJSONPath(doc, segs); ok {
			want, wantOK = planspec.JSONValueString(v), true
		}
		got, gotOK := lookupJSON([]byte(body), keys)
		if got != want || gotOK != wantOK {
			t.Errorf("%s: fast path %q %v, full parse %q %v", p, got, gotOK, want, wantOK)
		}
	}
}

func FuzzLookupJSON(f *testing.F) {
	f.Add(`{"a":{"b":[1,"x",{"c":null}]}}`, "$.a.b[2].c")
	f.Add(`[1,2,{"a":"\u0041"}]`, "$[2].a")
	f.Add(`{"a":1.0e2}`, "$.a")
	f.Fuzz(func(t *testing.T, body, path string) {
		segs, err := planspec.ParseJSONPath(path)
		keys := parserKeys(segs)
		if err != nil || keys == nil {
			return
		}
		var doc any
		if json.Unmarshal([]byte(body), &doc) != nil {
			return
		}
		// a document without duplicate keys, as encoding/json writes it
		canon, _ := json.Marshal(doc)
		want, wantOK := "", false
		if v, ok := planspec.EvalJSONPath(doc, segs); ok {
			want, wantOK = planspec.JSONValueString(v), true
		}
		got, gotOK := lookupJSON(canon, keys)
		if got != want || gotOK != wantOK {
			t.Errorf("%s on %s: fast path %q %v, full parse %q %v", path, canon, got, gotOK, want, wantOK)
		}
	})
}
