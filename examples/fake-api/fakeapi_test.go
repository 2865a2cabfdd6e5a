package fakeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// client talks to a fake API on a real loopback listener.
type client struct {
	t   *testing.T
	url string
	c   *http.Client
}

func newClient(t *testing.T, opts Options) *client {
	t.Helper()
	ts := httptest.NewServer(Handler(opts))
	t.Cleanup(ts.Close)
	return &client{t: t, url: ts.URL, c: ts.Client()}
}

// answer is a response: status, headers and the body parsed as JSON.
type answer struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

// req sends a request; body "" sends none, a body starting with { or [ is
// sent as application/json.
func (c *client) req(method, path, token, body string) answer {
	c.t.Helper()
	ctype := ""
	if strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[") {
		ctype = "application/json"
	}
	return c.send(method, path, token, ctype, body)
}

func (c *client) send(method, path, token, ctype, body string) answer {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.c.Do(r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header, raw: raw}
	json.Unmarshal(raw, &a.json)
	return a
}

func (c *client) login(user string) string {
	c.t.Helper()
	a := c.req("POST", "/auth/login", "", `{"username":"`+user+`","password":"pw"}`)
	tok, _ := a.json["token"].(string)
	if a.status != 200 || tok == "" {
		c.t.Fatalf("login %s: %d %s", user, a.status, a.raw)
	}
	return tok
}

// fixture is a service with two users and some of alice's resources.
type fixture struct {
	*client
	alice, bob                   string // tokens
	aliceID, bobID               int
	order, paidOrder, payment    string
	file                         string
	orderTotal                   float64
	scratchOrder, scratchFile    string // resources the table may delete
	scratchOrder2, scratchOrder3 string
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := &fixture{client: newClient(t, opts)}
	f.alice, f.bob = f.login("alice"), f.login("bob")
	u := f.req("GET", "/api/v1/users?limit=100", f.alice, "")
	for _, x := range u.json["users"].([]any) {
		m := x.(map[string]any)
		switch m["username"] {
		case "alice":
			f.aliceID = int(m["id"].(float64))
		case "bob":
			f.bobID = int(m["id"].(float64))
		}
	}
	if f.aliceID == 0 || f.bobID == 0 {
		t.Fatalf("users: %s", u.raw)
	}
	newOrder := func() (string, float64) {
		a := f.req("POST", "/api/v1/orders", f.alice, `{"items":[{"product_id":3,"quantity":2}]}`)
		if a.status != 201 {
			t.Fatalf("create order: %d %s", a.status, a.raw)
		}
		return a.json["order_id"].(string), a.json["total"].(float64)
	}
	f.order, f.orderTotal = newOrder()
	f.paidOrder, _ = newOrder()
	f.scratchOrder, _ = newOrder()
	f.scratchOrder2, _ = newOrder()
	f.scratchOrder3, _ = newOrder()
	p := f.req("POST", "/api/v1/payments", f.alice, `{"order_id":"`+f.paidOrder+`","amount":10}`)
	if p.status != 201 {
		t.Fatalf("pay: %d %s", p.status, p.raw)
	}
	f.payment = p.json["payment_id"].(string)
	for _, dst := range []*string{&f.file, &f.scratchFile} {
		a := f.req("POST", "/api/v1/files/upload", f.alice, `{"filename":"a.txt","content":"hello"}`)
		if a.status != 201 {
			t.Fatalf("upload: %d %s", a.status, a.raw)
		}
		*dst = a.json["file_id"].(string)
	}
	return f
}

// expand replaces {order} etc. in a path or body.
func (f *fixture) expand(s string) string {
	return strings.NewReplacer("{order}", f.order, "{paid}", f.paidOrder, "{payment}", f.payment, "{file}", f.file,
		"{scratch}", f.scratchOrder, "{scratch2}", f.scratchOrder2, "{scratch3}", f.scratchOrder3, "{scratchfile}", f.scratchFile,
		"{alice}", strconv.Itoa(f.aliceID), "{bob}", strconv.Itoa(f.bobID), "{total}", fmt.Sprint(f.orderTotal)).Replace(s)
}

// TestRoutes calls every catalogue route on its happy path, with the
// caller's token where the route needs one.
func TestRoutes(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		route      string // "METHOD PATH" as in the catalogue
		path, body string
		want       int
		key        string // a key the JSON answer must have
	}{
		{"GET /health", "/health", "", 200, "memory_usage"},
		{"GET /stats", "/stats", "", 200, "catalogue"},
		{"POST /auth/login", "/auth/login", `{"username":"carol","password":"x"}`, 200, "token"},
		{"POST /api/v1/users/login", "/api/v1/users/login", `{"user":"dave","password":"x"}`, 200, "expires_in"},
		{"POST /auth/logout", "/auth/logout", "", 200, "message"}, // with bob's token
		{"GET /orders", "/orders", "", 200, "orders"},
		{"POST /orders", "/orders", `{"product_id":1,"quantity":1}`, 201, "order_id"},
		{"GET /api/v1/orders", "/api/v1/orders", "", 200, "orders"},
		{"POST /api/v1/orders", "/api/v1/orders", `{"items":[{"product_id":"7","quantity":"3"}]}`, 201, "total"},
		{"GET /api/v1/cart", "/api/v1/cart", "", 200, "orders"},
		{"GET /api/v1/cart/items", "/api/v1/cart/items", "", 200, "count"},
		{"POST /api/v1/cart/items", "/api/v1/cart/items", `{"product_id":2}`, 201, "order_id"},
		{"GET /orders/{order_id}", "/orders/{order}", "", 200, "items"},
		{"PUT /orders/{order_id}", "/orders/{order}", `{"items":[{"product_id":4,"quantity":1}]}`, 200, "total"},
		{"DELETE /orders/{order_id}", "/orders/{scratch}", "", 200, "deleted"},
		{"GET /api/v1/orders/{order_id}", "/api/v1/orders/{order}", "", 200, "status"},
		{"PUT /api/v1/orders/{order_id}", "/api/v1/orders/{scratch3}", `{"status":"cancelled"}`, 200, "status"},
		{"DELETE /api/v1/orders/{order_id}", "/api/v1/orders/{scratch2}", "", 200, "deleted"},
		{"POST /payment/process", "/payment/process", `{"order_id":"{order}","amount":"{total}"}`, 201, "payment_id"},
		{"POST /api/v1/payments", "/api/v1/payments", `{"order_id":"{order}","amount":1}`, 409, "error"}, // paid just above
		{"GET /payment/{payment_id}", "/payment/{payment}", "", 200, "amount"},
		{"GET /api/v1/payments/{payment_id}", "/api/v1/payments/{payment}", "", 200, "order_id"},
		{"GET /api/v1/users", "/api/v1/users", "", 200, "users"},
		{"POST /api/v1/users", "/api/v1/users", `{"username":"erin","email":"erin@example.com"}`, 201, "id"},
		{"GET /api/v1/users/{user_id}", "/api/v1/users/{bob}", "", 200, "username"},
		{"PUT /api/v1/users/{user_id}", "/api/v1/users/{alice}", `{"email":"a@example.org"}`, 200, "email"},
		{"GET /api/v1/products", "/api/v1/products?category=books&min_price=10&max_price=400", "", 200, "products"},
		{"GET /api/v1/inventory", "/api/v1/inventory", "", 200, "inventory"},
		{"GET /api/v1/products/search", "/api/v1/products/search?q=lamp", "", 200, "products"},
		{"GET /api/v1/products/{product_id}", "/api/v1/products/42", "", 200, "price"},
		{"GET /api/v1/analytics/dashboard", "/api/v1/analytics/dashboard", "", 200, "revenue"},
		{"GET /api/v1/search", "/api/v1/search?q=user", "", 200, "users"},
		{"POST /api/v1/notifications", "/api/v1/notifications", `{"message":"hi"}`, 201, "id"},
		{"GET /api/v1/notifications", "/api/v1/notifications", "", 200, "notifications"},
		{"POST /api/v1/files/upload", "/api/v1/files/upload", `{"filename":"b.bin","content":"AAEC","encoding":"base64"}`, 201, "sha256"},
		{"GET /api/v1/files/{file_id}", "/api/v1/files/{file}", "", 200, "filename"},
		{"DELETE /api/v1/files/{file_id}", "/api/v1/files/{scratchfile}", "", 200, "deleted"},
		{"POST /api/v1/reports/generate", "/api/v1/reports/generate?complexity=1000", "", 200, "report_id"},
		{"POST /api/v1/cache/clear", "/api/v1/cache/clear", "", 200, "cleared"},
		{"POST /api/v1/batch/process", "/api/v1/batch/process?batch_size=5", "", 200, "batch_id"},
		{"GET /data/heavy", "/data/heavy?size=3", "", 200, "records"},
		{"GET /cpu/intensive", "/cpu/intensive?iterations=1000", "", 200, "result"},
		{"DELETE /api/v1/users/{user_id}", "/api/v1/users/{alice}", "", 200, "deleted"}, // last: alice is gone after it
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.route] = true
		method, _, _ := strings.Cut(tc.route, " ")
		tok := f.alice
		if tc.route == "POST /auth/logout" {
			tok = f.bob
		}
		a := f.req(method, f.expand(tc.path), tok, f.expand(tc.body))
		if a.status != tc.want {
			t.Errorf("%s %s: status %d, want %d: %s", method, tc.path, a.status, tc.want, a.raw)
			continue
		}
		if _, ok := a.json[tc.key]; !ok {
			t.Errorf("%s %s: answer has no %q: %s", method, tc.path, tc.key, a.raw)
		}
		if ct := a.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", method, tc.path, ct)
		}
	}
	for _, r := range Catalogue() {
		if !covered[r.Method+" "+r.Path] {
			t.Errorf("route %s %s has no case", r.Method, r.Path)
		}
	}
	// Alice deleted her account: her token no longer works.
	if a := f.req("GET", "/api/v1/orders", f.alice, ""); a.status != 401 {
		t.Errorf("token of a deleted user: %d", a.status)
	}
}

// TestValues checks that answers carry what the requests asked for.
func TestValues(t *testing.T) {
	f := newFixture(t, Options{})
	p, _ := product(7)
	a := f.req("POST", "/api/v1/orders", f.bob, `{"items":[{"product_id":7,"quantity":3},{"product_id":1}]}`)
	p1, _ := product(1)
	if want := float64(int((p.Price*3+p1.Price)*100+0.5)) / 100; a.json["total"] != want || a.json["status"] != "pending" || a.json["user"] != "bob" {
		t.Errorf("order %s, want total %v", a.raw, want)
	}
	if !strings.HasPrefix(a.header.Get("Location"), "/api/v1/orders/order-") {
		t.Errorf("Location %q", a.header.Get("Location"))
	}
	if a := f.req("GET", "/api/v1/products?category=books", "", ""); a.json["count"] != float64(Products/len(categories)) {
		t.Errorf("books: %v", a.json["count"])
	}
	list := f.req("GET", "/api/v1/products?min_price=100&max_price=200", "", "")
	for _, x := range list.json["products"].([]any) {
		if pr := x.(map[string]any)["price"].(float64); pr < 100 || pr > 200 {
			t.Errorf("price %v outside the filter", pr)
		}
	}
	if a := f.req("GET", "/data/heavy?size=25", "", ""); len(a.json["records"].([]any)) != 25 || len(a.raw) < 25*300 {
		t.Errorf("heavy: %d records, %d bytes", len(a.json["records"].([]any)), len(a.raw))
	}
	// Alice lists her five orders of the fixture, not bob's.
	a = f.req("GET", "/api/v1/orders", f.alice, "")
	if a.json["count"] != float64(5) {
		t.Errorf("alice has %v orders, want 5", a.json["count"])
	}
	for _, o := range a.json["orders"].([]any) {
		if o.(map[string]any)["user"] != "alice" {
			t.Errorf("alice sees %v", o)
		}
	}
	// The paid order cannot change or be paid again.
	if a := f.req("PUT", "/api/v1/orders/"+f.paidOrder, f.alice, `{"status":"cancelled"}`); a.status != 409 {
		t.Errorf("changing a paid order: %d %s", a.status, a.raw)
	}
	if a := f.req("POST", "/payment/process", f.alice, `{"order_id":"`+f.paidOrder+`","amount":1}`); a.status != 409 {
		t.Errorf("paying twice: %d %s", a.status, a.raw)
	}
	// A token looks like the original's, with a random suffix.
	tok := f.login("zed")
	if parts := strings.Split(tok, "-"); !strings.HasPrefix(tok, "fake-jwt-token-zed-") || len(parts) != 6 || len(parts[5]) != 24 {
		t.Errorf("token %q", tok)
	}
	if tok == f.login("zed") {
		t.Error("two logins in the same second got the same token")
	}
	// Any text is a username; the token carries a safe form of it.
	a = f.req("POST", "/auth/login", "", `{"username":"carol, jr","password":"pw with \"quotes\""}`)
	if tok, _ := a.json["token"].(string); a.status != 200 || !strings.HasPrefix(tok, "fake-jwt-token-carol__jr-") {
		t.Errorf("login as carol, jr: %d %s", a.status, a.raw)
	} else if b := f.req("GET", "/api/v1/orders", tok, ""); b.status != 200 {
		t.Errorf("carol's token: %d", b.status)
	}
}

func TestAuth(t *testing.T) {
	f := newFixture(t, Options{})
	for _, r := range Catalogue() {
		path := strings.NewReplacer("{order_id}", f.order, "{payment_id}", f.payment, "{file_id}", f.file,
			"{user_id}", strconv.Itoa(f.bobID), "{product_id}", "1").Replace(r.Path)
		if r.Path == "/api/v1/products/search" || r.Path == "/api/v1/search" {
			path += "?q=a"
		}
		for _, token := range []string{"", "not-a-token", "fake-jwt-token-alice-1-000000000000000000000000"} {
			a := f.req(r.Method, path, token, "")
			switch {
			case r.Auth && (a.status != 401 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer")):
				t.Errorf("%s %s with token %q: %d, want 401 with WWW-Authenticate", r.Method, r.Path, token, a.status)
			case r.Auth && a.json["error"] == nil:
				t.Errorf("%s %s: 401 without a JSON error: %s", r.Method, r.Path, a.raw)
			case !r.Auth && a.status == 401:
				t.Errorf("%s %s needs no token but answered 401", r.Method, r.Path)
			}
		}
	}
	// Basic instead of Bearer.
	a := f.send("GET", "/api/v1/orders", "", "", "")
	if a.status != 401 {
		t.Errorf("no header: %d", a.status)
	}
	r, _ := http.NewRequest("GET", f.url+"/api/v1/orders", nil)
	r.Header.Set("Authorization", "Basic "+f.alice)
	res, err := f.c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("Basic scheme: %d", res.StatusCode)
	}
	// Logout revokes the token; a second logout is 401.
	tok := f.login("carol")
	if a := f.req("POST", "/auth/logout", tok, ""); a.status != 200 {
		t.Errorf("logout: %d %s", a.status, a.raw)
	}
	if a := f.req("POST", "/auth/logout", tok, ""); a.status != 401 {
		t.Errorf("second logout: %d", a.status)
	}
	if a := f.req("GET", "/api/v1/orders", tok, ""); a.status != 401 {
		t.Errorf("revoked token: %d", a.status)
	}
}

func TestTokenExpires(t *testing.T) {
	c := newClient(t, Options{TokenTTL: 150 * time.Millisecond})
	a := c.req("POST", "/auth/login", "", `{"username":"u","password":"p"}`)
	if a.json["expires_in"] != float64(0) { // 150 ms is 0 whole seconds
		t.Errorf("expires_in %v", a.json["expires_in"])
	}
	tok := a.json["token"].(string)
	if a := c.req("GET", "/api/v1/orders", tok, ""); a.status != 200 {
		t.Fatalf("fresh token: %d", a.status)
	}
	time.Sleep(200 * time.Millisecond)
	a = c.req("GET", "/api/v1/orders", tok, "")
	if a.status != 401 || !strings.Contains(a.json["error"].(string), "expired") {
		t.Errorf("expired token: %d %s", a.status, a.raw)
	}
}

func TestOwnership(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct{ method, path, body string }{
		{"GET", "/orders/{order}", ""},
		{"PUT", "/api/v1/orders/{order}", `{"status":"cancelled"}`},
		{"DELETE", "/api/v1/orders/{order}", ""},
		{"POST", "/api/v1/payments", `{"order_id":"{order}","amount":5}`},
		{"GET", "/payment/{payment}", ""},
		{"GET", "/api/v1/files/{file}", ""},
		{"DELETE", "/api/v1/files/{file}", ""},
		{"PUT", "/api/v1/users/{alice}", `{"email":"x@example.com"}`},
		{"DELETE", "/api/v1/users/{alice}", ""},
	}
	for _, tc := range tests {
		if a := f.req(tc.method, f.expand(tc.path), f.bob, f.expand(tc.body)); a.status != 403 {
			t.Errorf("bob: %s %s: %d, want 403: %s", tc.method, tc.path, a.status, a.raw)
		}
	}
	// Nothing changed for alice.
	if a := f.req("GET", "/api/v1/orders/"+f.order, f.alice, ""); a.status != 200 || a.json["status"] != "pending" {
		t.Errorf("alice's order after bob: %d %s", a.status, a.raw)
	}
	if a := f.req("GET", "/api/v1/files/"+f.file, f.alice, ""); a.status != 200 {
		t.Errorf("alice's file after bob: %d", a.status)
	}
}

func TestNotFound(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct{ method, path, body string }{
		{"GET", "/orders/order-99999", ""},
		{"PUT", "/api/v1/orders/nope", `{"status":"cancelled"}`},
		{"DELETE", "/api/v1/orders/nope", ""},
		{"POST", "/payment/process", `{"order_id":"order-99999","amount":5}`},
		{"GET", "/payment/pay-99999", ""},
		{"GET", "/api/v1/payments/x", ""},
		{"GET", "/api/v1/files/file-99999", ""},
		{"DELETE", "/api/v1/files/x", ""},
		{"GET", "/api/v1/users/99999", ""},
		{"GET", "/api/v1/products/51", ""},
		{"GET", "/api/v1/products/0", ""},
		{"GET", "/no/such/path", ""}, // through the demo target
	}
	for _, tc := range tests {
		a := f.req(tc.method, tc.path, f.alice, tc.body)
		if a.status != 404 {
			t.Errorf("%s %s: %d, want 404: %s", tc.method, tc.path, a.status, a.raw)
		}
	}
}

func TestBounds(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		method, path, body string
		param              string
		min, max           float64 // 0, 0: not reported
	}{
		{"GET", "/data/heavy?size=0", "", "size", 1, MaxHeavySize},
		{"GET", "/data/heavy?size=10001", "", "size", 1, MaxHeavySize},
		{"GET", "/data/heavy?size=abc", "", "size", 1, MaxHeavySize},
		{"GET", "/cpu/intensive?iterations=0", "", "iterations", 1, MaxIterations},
		{"GET", "/cpu/intensive?iterations=10000001", "", "iterations", 1, MaxIterations},
		{"POST", "/api/v1/reports/generate?complexity=0", "", "complexity", 1, MaxComplexity},
		{"POST", "/api/v1/reports/generate?complexity=5000001", "", "complexity", 1, MaxComplexity},
		{"POST", "/api/v1/batch/process?batch_size=0", "", "batch_size", 1, MaxBatchSize},
		{"POST", "/api/v1/batch/process?batch_size=", "", "batch_size", 1, MaxBatchSize},
		{"POST", "/api/v1/batch/process?batch_size=1001", "", "batch_size", 1, MaxBatchSize},
		{"POST", "/api/v1/batch/process", `{"batch_size":0}`, "batch_size", 1, MaxBatchSize},
		{"POST", "/api/v1/batch/process", `{"batch_size":2.5}`, "batch_size", 1, MaxBatchSize},
		{"GET", "/api/v1/users?limit=101", "", "limit", 1, MaxUserList},
		{"GET", "/api/v1/search", "", "q", 1, MaxQueryLen},
		{"GET", "/api/v1/search?q=" + strings.Repeat("a", MaxQueryLen+1), "", "q", 1, MaxQueryLen},
		{"GET", "/api/v1/products/search?q=", "", "q", 1, MaxQueryLen},
		{"POST", "/api/v1/orders", `{"product_id":51}`, "product_id", 1, Products},
		{"POST", "/api/v1/orders", `{"product_id":1,"quantity":101}`, "quantity", 1, MaxQuantity},
		{"POST", "/api/v1/orders", `{"items":[]}`, "items", 1, MaxItems},
		{"POST", "/api/v1/orders", `{}`, "items", 0, 0},
		{"POST", "/api/v1/orders", `{"items":"x"}`, "items", 0, 0},
		{"POST", "/api/v1/payments", `{"order_id":"{order}"}`, "amount", 0, 0},
		{"POST", "/api/v1/payments", `{"order_id":"{order}","amount":-1}`, "amount", 0, 0},
		{"POST", "/api/v1/payments", `{"amount":3}`, "order_id", 0, 0},
		{"POST", "/api/v1/payments", `{"order_id":"{order}","amount":"ten"}`, "amount", 0, 0},
		{"GET", "/api/v1/products?min_price=cheap", "", "min_price", 0, 0},
		{"GET", "/api/v1/users/abc", "", "user_id", 0, 0},
		{"GET", "/api/v1/products/abc", "", "product_id", 0, 0},
		{"POST", "/auth/login", `{"password":"x"}`, "username", 0, 0},
		{"POST", "/auth/login", `{"username":"a\tb","password":"x"}`, "username", 0, 0},
		{"POST", "/auth/login", `{"username":"` + strings.Repeat("u", 65) + `","password":"x"}`, "username", 0, 0},
		{"POST", "/auth/login", `{"username":"a"}`, "password", 0, 0},
		{"POST", "/api/v1/users", `{"username":"x1"}`, "email", 0, 0},
		{"POST", "/api/v1/notifications", `{"message":""}`, "message", 1, MaxMessageLen},
		{"POST", "/api/v1/files/upload", `{"filename":"a"}`, "filename", 0, 0},
	}
	for _, tc := range tests {
		a := f.req(tc.method, tc.path, f.alice, f.expand(tc.body))
		if a.status != 400 {
			t.Errorf("%s %s %s: %d, want 400: %s", tc.method, tc.path, tc.body, a.status, a.raw)
			continue
		}
		msg, _ := a.json["error"].(string)
		if a.json["parameter"] != tc.param || !strings.Contains(msg, tc.param) {
			t.Errorf("%s %s %s: error %s does not name %q", tc.method, tc.path, tc.body, a.raw, tc.param)
		}
		if tc.max != 0 && (a.json["min"] != tc.min || a.json["max"] != tc.max ||
			!strings.Contains(msg, strconv.Itoa(int(tc.max)))) {
			t.Errorf("%s %s: bounds %v..%v not in %s", tc.method, tc.path, tc.min, tc.max, a.raw)
		}
	}
	// The largest allowed values still work.
	if a := f.req("POST", "/api/v1/batch/process?batch_size=1000", f.alice, ""); a.status != 200 || a.json["batch_size"] != float64(1000) {
		t.Errorf("batch_size=1000: %d %s", a.status, a.raw)
	}
	if a := f.req("POST", "/api/v1/batch/process", f.alice, `{"batch_size":"7"}`); a.status != 200 || a.json["batch_size"] != float64(7) {
		t.Errorf("batch_size in the body: %d %s", a.status, a.raw)
	}
	if a := f.req("POST", "/api/v1/batch/process", f.alice, ""); a.status != 200 || a.json["batch_size"] != float64(DefaultBatchSize) {
		t.Errorf("default batch_size: %d %s", a.status, a.raw)
	}
}

// TestAuthBeforeWork: a request without a token is refused before any
// bound check, sleep or CPU work.
func TestAuthBeforeWork(t *testing.T) {
	c := newClient(t, Options{DelayMin: 5 * time.Second, DelayMax: 5 * time.Second, LatencyScale: 1})
	begin := time.Now()
	for _, path := range []string{"/api/v1/reports/generate?complexity=5000000", "/api/v1/batch/process?batch_size=0", "/api/v1/files/upload"} {
		if a := c.req("POST", path, "", ""); a.status != 401 {
			t.Errorf("%s without a token: %d", path, a.status)
		}
	}
	if d := time.Since(begin); d > time.Second {
		t.Errorf("the refusals took %v", d)
	}
}

func TestBodies(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name, ctype, body string
		want              int
		says              string
	}{
		{"form", "application/x-www-form-urlencoded", "username=a&password=b", 415, "JSON"},
		{"multipart", "multipart/form-data; boundary=x", "--x--", 415, "application/json"},
		{"text", "text/plain", `{"username":"a","password":"b"}`, 415, "Content-Type"},
		{"bad content type", "%%%", `{}`, 415, "Content-Type"},
		{"missing body", "application/json", "", 400, "missing request body"},
		{"blank body", "application/json", "  \n", 400, "empty request body"},
		{"not JSON", "application/json", "{username", 400, "not valid JSON"},
		{"array", "application/json", `[1]`, 400, "JSON array"},
		{"null", "application/json", `null`, 400, "JSON null"},
		{"two objects", "application/json", `{} {}`, 400, "after the JSON object"},
		{"number as username", "application/json", `{"username":12,"password":"x"}`, 200, ""},
		{"bool as username", "application/json", `{"username":true,"password":"x"}`, 400, "string"},
		{"no content type", "", `{"username":"a","password":"b"}`, 200, ""},
		{"json with charset", "application/json; charset=utf-8", `{"username":"a","password":"b"}`, 200, ""},
		{"vendor json", "application/vnd.api+json", `{"username":"a","password":"b"}`, 200, ""},
		{"too large", "application/json", `{"username":"a","password":"` + strings.Repeat("x", MaxBody) + `"}`, 413, "larger"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := f.send("POST", "/auth/login", "", tc.ctype, tc.body)
			if a.status != tc.want {
				t.Fatalf("status %d, want %d: %.300s", a.status, tc.want, a.raw)
			}
			if tc.want >= 400 {
				msg, _ := a.json["error"].(string)
				if !strings.Contains(msg, tc.says) || a.header.Get("Content-Type") != "application/json" {
					t.Errorf("error %q does not say %q", msg, tc.says)
				}
			}
		})
	}
	// A multipart upload is accepted where files are.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "report.csv")
	fw.Write([]byte("a,b\n1,2\n"))
	mw.Close()
	a := f.send("POST", "/api/v1/files/upload", f.alice, mw.FormDataContentType(), buf.String())
	if a.status != 201 || a.json["filename"] != "report.csv" || a.json["size"] != float64(8) {
		t.Errorf("multipart upload: %d %s", a.status, a.raw)
	}
}

// TestErrorInjection: with ERROR_RATE 1 every route with error injection
// answers its error status (after the token check), the others still
// succeed; with 0 none does. /stats counts the injected errors.
func TestErrorInjection(t *testing.T) {
	for _, rate := range []float64{0, 1} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			s, err := newServer(Options{ErrorRate: rate})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(s)
			defer ts.Close()
			c := &client{t: t, url: ts.URL, c: ts.Client()}
			// Login itself may fail at rate 1: take a token from the store.
			tok, _ := s.st.login("tester", time.Now())
			if a := c.req("POST", "/auth/login", "", `{"username":"x","password":"y"}`); rate == 1 && a.status != 503 {
				t.Errorf("login at rate 1: %d", a.status)
			}
			injected := int64(0)
			if rate == 1 {
				injected++
			}
			for _, r := range Catalogue() {
				if r.Method != "GET" || strings.Contains(r.Path, "{") {
					continue
				}
				path := r.Path
				if strings.HasSuffix(path, "search") {
					path += "?q=a"
				}
				a := c.req(r.Method, path, tok, "")
				want := 200
				if rate == 1 && r.ErrorStatus != 0 {
					want = r.ErrorStatus
					injected++
				}
				if a.status != want {
					t.Errorf("%s %s: %d, want %d: %s", r.Method, r.Path, a.status, want, a.raw)
				}
				if want != 200 && !strings.Contains(fmt.Sprint(a.json["error"]), "injected") {
					t.Errorf("%s %s: error %s", r.Method, r.Path, a.raw)
				}
			}
			// Validation comes before injection: a bad request stays 400.
			if a := c.req("GET", "/data/heavy?size=0", "", ""); a.status != 400 {
				t.Errorf("bad size at rate %v: %d", rate, a.status)
			}
			if a := c.req("POST", "/api/v1/orders", tok, `{"product_id":1}`); rate == 1 && a.status != 503 {
				t.Errorf("order at rate 1: %d", a.status)
			} else if rate == 1 {
				injected++
			}
			var st Stats
			json.Unmarshal(c.req("GET", "/stats", "", "").raw, &st)
			sum := int64(0)
			for _, e := range st.Endpoints {
				sum += e.Injected
			}
			if sum != injected || st.Config.ErrorRate != rate || st.Store["orders"] != 1-int(rate) {
				t.Errorf("stats: %d injected, want %d; config %+v; store %v", sum, injected, st.Config, st.Store)
			}
		})
	}
}

func TestSeedReproducible(t *testing.T) {
	run := func(seed uint64) []string {
		c := newClient(t, Options{Seed: seed, ErrorRate: 0.5, DelayMax: time.Second, LatencyScale: 0.001})
		var out []string
		for range 40 {
			a := c.req("GET", "/api/v1/products/3", "", "")
			out = append(out, fmt.Sprintf("%d/%s", a.status, a.header.Get("X-Simulated-Delay-Ms")))
		}
		return out
	}
	a, b, other := run(42), run(42), run(43)
	if !slices.Equal(a, b) {
		t.Errorf("seed 42 twice:\n%v\n%v", a, b)
	}
	if slices.Equal(a, other) {
		t.Errorf("seeds 42 and 43 answered alike: %v", a)
	}
	errs := 0
	for _, s := range a {
		if strings.HasPrefix(s, "503/") {
			errs++
		}
	}
	if errs < 5 || errs > 35 {
		t.Errorf("%d of 40 errors at rate 0.5", errs)
	}
}

func TestLatencyScale(t *testing.T) {
	tests := []struct {
		scale      float64
		wantMs     float64
		minElapsed time.Duration
	}{
		{0, 0, 0},
		{0.1, 30, 30 * time.Millisecond},
		{1, 300, 300 * time.Millisecond},
	}
	for _, tc := range tests {
		c := newClient(t, Options{DelayMin: 300 * time.Millisecond, DelayMax: 300 * time.Millisecond, LatencyScale: tc.scale})
		begin := time.Now()
		a := c.req("GET", "/api/v1/products", "", "")
		el := time.Since(begin)
		got, _ := strconv.ParseFloat(a.header.Get("X-Simulated-Delay-Ms"), 64)
		if a.status != 200 || got != tc.wantMs || el < tc.minElapsed || el > tc.minElapsed+250*time.Millisecond {
			t.Errorf("scale %v: status %d, delay header %v ms (want %v), took %v", tc.scale, a.status, got, tc.wantMs, el)
		}
	}
	// Fixed ranges scale too: a payment sleeps 0.5–2 s × scale.
	c := newClient(t, Options{LatencyScale: 0.01})
	tok := c.login("p")
	o := c.req("POST", "/api/v1/orders", tok, `{"product_id":1}`)
	a := c.req("POST", "/api/v1/payments", tok, `{"order_id":"`+o.json["order_id"].(string)+`","amount":1}`)
	if got, _ := strconv.ParseFloat(a.header.Get("X-Simulated-Delay-Ms"), 64); a.status != 201 || got < 5 || got > 20 {
		t.Errorf("payment at scale 0.01: %d, delay %v ms", a.status, got)
	}
}

func TestDecline(t *testing.T) {
	c := newClient(t, Options{DeclineRate: 1})
	tok := c.login("p")
	o := c.req("POST", "/api/v1/orders", tok, `{"product_id":1}`)
	id := o.json["order_id"].(string)
	if a := c.req("POST", "/payment/process", tok, `{"order_id":"`+id+`","amount":1}`); a.status != 402 {
		t.Errorf("declined payment: %d %s", a.status, a.raw)
	}
	if a := c.req("GET", "/orders/"+id, tok, ""); a.json["status"] != "pending" {
		t.Errorf("after a decline the order is %v", a.json["status"])
	}
}

// TestConcurrentOrders creates orders from many goroutines with one token:
// every order is stored once, with a distinct id (run with -race).
func TestConcurrentOrders(t *testing.T) {
	c := newClient(t, Options{})
	tok := c.login("busy")
	const workers, each = 16, 25
	ids := make(chan string, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				body := fmt.Sprintf(`{"items":[{"product_id":%d,"quantity":%d}]}`, w%Products+1, i%5+1)
				r, _ := http.NewRequest("POST", c.url+"/api/v1/cart/items", strings.NewReader(body))
				r.Header.Set("Authorization", "Bearer "+tok)
				res, err := c.c.Do(r)
				if err != nil {
					t.Error(err)
					return
				}
				var o Order
				json.NewDecoder(res.Body).Decode(&o)
				res.Body.Close()
				if res.StatusCode != 201 {
					t.Errorf("status %d", res.StatusCode)
					return
				}
				ids <- o.ID
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("order id %s issued twice", id)
		}
		seen[id] = true
	}
	a := c.req("GET", "/api/v1/cart", tok, "")
	if len(seen) != workers*each || a.json["count"] != float64(workers*each) {
		t.Errorf("%d ids, cart lists %v, want %d", len(seen), a.json["count"], workers*each)
	}
	var st Stats
	json.Unmarshal(c.req("GET", "/stats", "", "").raw, &st)
	if e := st.Endpoints["POST /api/v1/cart/items"]; e.Requests != workers*each || e.Status2xx != workers*each {
		t.Errorf("stats %+v", e)
	}
}

// TestConcurrentMixed runs logins, account changes, payments and reads of
// the same user's data at once (run with -race).
func TestConcurrentMixed(t *testing.T) {
	c := newClient(t, Options{})
	tok := c.login("mix")
	var id float64
	for _, u := range c.req("GET", "/api/v1/users?limit=100", tok, "").json["users"].([]any) {
		if m := u.(map[string]any); m["username"] == "mix" {
			id = m["id"].(float64)
		}
	}
	path := fmt.Sprintf("/api/v1/users/%d", int(id))
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 10 {
				var a answer
				switch w % 4 {
				case 0:
					a = c.req("POST", "/auth/login", "", `{"username":"mix","password":"p"}`)
				case 1:
					a = c.req("PUT", path, tok, fmt.Sprintf(`{"email":"m%d@example.com"}`, i))
				case 2:
					o := c.req("POST", "/api/v1/orders", tok, `{"product_id":5}`)
					a = c.req("POST", "/api/v1/payments", tok, fmt.Sprintf(`{"order_id":%q,"amount":%v}`, o.json["order_id"], o.json["total"]))
				case 3:
					a = c.req("GET", "/api/v1/analytics/dashboard", "", "")
				}
				if a.status/100 != 2 {
					t.Errorf("worker %d: %d %s", w, a.status, a.raw)
					return
				}
			}
		})
	}
	wg.Wait()
	d := c.req("GET", "/api/v1/analytics/dashboard", "", "")
	if d.json["payments"] != float64(20) || d.json["orders"] != float64(20) {
		t.Errorf("dashboard %s, want 20 orders and payments", d.raw)
	}
}

// TestClientGoneStopsSleep: a request whose client goes away mid-sleep
// ends at once; /stats counts it as canceled.
func TestClientGoneStopsSleep(t *testing.T) {
	tests := []struct{ method, path, body string }{
		{"GET", "/api/v1/products", ""},
		{"GET", "/api/v1/analytics/dashboard", ""},
		{"GET", "/cpu/intensive?iterations=10000000", ""}, // CPU work checks the context too
	}
	c := newClient(t, Options{DelayMin: 10 * time.Second, DelayMax: 10 * time.Second, LatencyScale: 1})
	for i, tc := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		r, _ := http.NewRequestWithContext(ctx, tc.method, c.url+tc.path, nil)
		begin := time.Now()
		_, err := c.c.Do(r)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: err %v, want a timeout", tc.path, err)
		}
		// The handler notices within a moment, long before its 10 s sleep.
		deadline := time.Now().Add(3 * time.Second)
		for {
			var st Stats
			json.Unmarshal(c.req("GET", "/stats", "", "").raw, &st)
			var canceled int64
			for _, e := range st.Endpoints {
				canceled += e.Canceled
			}
			if canceled == int64(i+1) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: canceled %d after %v, want %d", tc.path, canceled, time.Since(begin), i+1)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if d := time.Since(begin); d > 3*time.Second {
			t.Errorf("%s: took %v", tc.path, d)
		}
	}
}

func TestStats(t *testing.T) {
	c := newClient(t, Options{Seed: 7, ErrorRate: 0, DelayMin: time.Millisecond, DelayMax: 2 * time.Millisecond, LatencyScale: 0.5})
	for range 3 {
		c.req("GET", "/api/v1/products/1", "", "")
	}
	c.req("GET", "/api/v1/products/99", "", "")
	c.req("GET", "/api/products", "", "") // demo
	var st Stats
	a := c.req("GET", "/stats", "", "")
	if err := json.Unmarshal(a.raw, &st); err != nil {
		t.Fatal(err)
	}
	e := st.Endpoints["GET /api/v1/products/{product_id}"]
	if e.Requests != 4 || e.Status2xx != 3 || e.Status4xx != 1 {
		t.Errorf("product counters %+v", e)
	}
	if st.DemoRequests != 1 || st.Requests != 6 { // 4 + 1 demo + this /stats
		t.Errorf("requests %d, demo %d", st.Requests, st.DemoRequests)
	}
	want := StatsConfig{DelayMinSeconds: 0.001, DelayMaxSeconds: 0.002, LatencyScale: 0.5, Seed: 7, TokenTTLSeconds: 3600}
	if st.Config != want {
		t.Errorf("config %+v, want %+v", st.Config, want)
	}
	if len(st.Catalogue) != len(Catalogue()) || len(st.Endpoints) != len(Catalogue()) || len(st.DemoRoutes) != len(DemoRoutes()) {
		t.Errorf("catalogue %d, endpoints %d, want %d", len(st.Catalogue), len(st.Endpoints), len(Catalogue()))
	}
	if st.Store["users"] != SeedUsers {
		t.Errorf("store %v", st.Store)
	}
	// A random seed is reported.
	var st2 Stats
	json.Unmarshal(newClient(t, Options{}).req("GET", "/stats", "", "").raw, &st2)
	if st2.Config.Seed == 0 {
		t.Error("seed 0 reported")
	}
}

// TestDemoFallback: plans written for the demo target run against this
// service: its paths answer as the demo target does.
func TestDemoFallback(t *testing.T) {
	c := newClient(t, Options{})
	if a := c.req("GET", "/", "", ""); a.status != 200 || !strings.Contains(string(a.raw), "demo target") {
		t.Errorf("/: %d %q", a.status, a.raw)
	}
	if a := c.req("GET", "/api/products?page=2", "", ""); a.status != 200 || len(a.json["items"].([]any)) != 10 {
		t.Errorf("/api/products: %d %s", a.status, a.raw)
	}
	a := c.req("POST", "/api/auth/login", "", `{"user":"demo","password":"secret"}`)
	tok, _ := a.json["token"].(string)
	if a.status != 200 || tok == "" {
		t.Fatalf("/api/auth/login: %d %s", a.status, a.raw)
	}
	if a := c.req("POST", "/api/cart", tok, `{"sku":1}`); a.status != 201 {
		t.Errorf("/api/cart: %d %s", a.status, a.raw)
	}
	if a := c.req("GET", "/status/418", "", ""); a.status != 418 {
		t.Errorf("/status/418: %d", a.status)
	}
	if a := c.req("GET", "/static/logo.png", "", ""); a.status != 200 || a.header.Get("Content-Type") != "image/png" {
		t.Errorf("logo: %d %s", a.status, a.header.Get("Content-Type"))
	}
	if a := c.req("GET", "/slow?ms=1", "", ""); a.status != 200 {
		t.Errorf("/slow: %d", a.status)
	}
	// The demo's token store is its own: a fake API token is no demo token.
	if a := c.req("POST", "/api/cart", c.login("x"), `{}`); a.status != 401 {
		t.Errorf("fake API token on /api/cart: %d", a.status)
	}
}

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr  string
		allow bool
		ok    bool
	}{
		{"127.0.0.1:0", false, true},
		{"127.0.0.2:8080", false, true},
		{"[::1]:0", false, true},
		{"localhost:0", false, true},
		{"0.0.0.0:8080", false, false},
		{":8080", false, false},
		{"[::]:8080", false, false},
		{"10.1.2.3:80", false, false},
		{"example.com:80", false, false},
		{"0.0.0.0:8080", true, true},
		{"nonsense", true, false},
	}
	for _, tc := range tests {
		err := CheckAddr(tc.addr, tc.allow)
		if (err == nil) != tc.ok {
			t.Errorf("CheckAddr(%q, %v) = %v", tc.addr, tc.allow, err)
		}
		if !tc.ok && tc.addr != "nonsense" && !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckAddr(%q): %v is not ErrNotLoopback", tc.addr, err)
		}
	}
}

func TestStart(t *testing.T) {
	if _, _, err := Start(context.Background(), "0.0.0.0:0", Options{}); !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("Start on 0.0.0.0: %v", err)
	}
	if _, _, err := Start(context.Background(), "127.0.0.1:0", Options{ErrorRate: 2}); err == nil {
		t.Fatal("Start with error rate 2 succeeded")
	}
	url, stop, err := Start(context.Background(), "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	json.NewDecoder(res.Body).Decode(&h)
	res.Body.Close()
	if !strings.HasPrefix(url, "http://127.0.0.1:") || h["status"] != "healthy" || h["version"] != Version {
		t.Errorf("url %s, health %v", url, h)
	}
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/health"); err == nil {
		t.Error("still serving after stop")
	}
}

func TestOptions(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	def := DefaultOptions()
	tests := []struct {
		name    string
		getenv  func(string) string
		want    Options
		wantErr string
	}{
		{"defaults", env(), def, ""},
		{"original seconds", env(EnvDelayMin, "0.2", EnvDelayMax, "0.8", EnvErrorRate, "0.03"),
			Options{DelayMin: 200 * time.Millisecond, DelayMax: 800 * time.Millisecond, ErrorRate: 0.03, DeclineRate: def.DeclineRate, LatencyScale: 1, TokenTTL: time.Hour}, ""},
		{"durations, seed, scale", env(EnvDelayMin, "5ms", EnvDelayMax, "10ms", EnvSeed, "9", EnvLatencyScale, "0"),
			Options{DelayMin: 5 * time.Millisecond, DelayMax: 10 * time.Millisecond, ErrorRate: def.ErrorRate, DeclineRate: def.DeclineRate, Seed: 9, TokenTTL: time.Hour}, ""},
		{"min above max", env(EnvDelayMin, "2", EnvDelayMax, "1"), Options{}, "above"},
		{"bad rate", env(EnvErrorRate, "1.5"), Options{}, "error rate"},
		{"rate not a number", env(EnvErrorRate, "lots"), Options{}, EnvErrorRate},
		{"NaN rate", env(EnvErrorRate, "NaN"), Options{}, "error rate"},
		{"negative delay", env(EnvDelayMin, "-1"), Options{}, EnvDelayMin},
		{"bad seed", env(EnvSeed, "-3"), Options{}, EnvSeed},
		{"huge scale", env(EnvLatencyScale, "1000"), Options{}, "latency scale"},
	}
	for _, tc := range tests {
		got, err := OptionsFromEnv(tc.getenv)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestBounded(t *testing.T) {
	b := newBounded[int](3)
	var evicted []int
	b.onEvict = func(v int) { evicted = append(evicted, v) }
	for i := range 5 {
		b.put(strconv.Itoa(i), i)
	}
	b.del("3")
	b.put("5", 5)
	var kept []int
	b.each(func(v int) bool { kept = append(kept, v); return true })
	if !slices.Equal(kept, []int{2, 4, 5}) || !slices.Equal(evicted, []int{0, 1}) || b.len() != 3 {
		t.Errorf("kept %v, evicted %v", kept, evicted)
	}
}

// TestStoreBounds: past its bounds the store forgets the oldest entries,
// and its per-user lists and totals follow.
func TestStoreBounds(t *testing.T) {
	now := time.Now()
	st := newStore(time.Hour, now)
	st.orders.max, st.payments.max, st.notifications.max = 3, 2, 2
	for i := 1; i <= 5; i++ {
		user := "a"
		if i == 4 {
			user = "b"
		}
		st.addOrderLocked(&Order{ID: fmt.Sprint("o", i), User: user})
		st.addPaymentLocked(&Payment{ID: fmt.Sprint("p", i), Amount: float64(i)})
		st.addNotificationLocked(&Notification{ID: i, User: user})
	}
	var ids []string
	for _, o := range st.ordersOfLocked("a") {
		ids = append(ids, o.ID)
	}
	if !slices.Equal(ids, []string{"o3", "o5"}) || len(st.ordersOfLocked("b")) != 1 || len(st.userOrders["a"]) != 2 {
		t.Errorf("a's orders %v, index %v", ids, st.userOrders)
	}
	if st.revenue != 9 || st.paid != 2 { // payments 4 and 5 kept
		t.Errorf("revenue %v over %d payments", st.revenue, st.paid)
	}
	if n := st.notificationsOfLocked("a"); len(n) != 1 || n[0].ID != 5 || len(st.userNotes["a"]) != 1 {
		t.Errorf("a's notifications %v, index %v", n, st.userNotes)
	}
	st.deleteOrderLocked(&Order{ID: "o5", User: "a"})
	if len(st.ordersOfLocked("a")) != 1 || len(st.userOrders["a"]) != 1 {
		t.Errorf("after delete: %v", st.userOrders)
	}
	// A token outlives neither its user nor a new user of the same name.
	tok, u := st.login("c", now)
	st.users.del("c")
	delete(st.usersByID, u.ID)
	st.login("c", now)
	if _, state := st.session(tok, now); state != tokenUnknown {
		t.Errorf("the old token of a re-registered user: state %v", state)
	}
}

func TestHandlerPanicsOnBadOptions(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Handler(Options{DelayMin: 2, DelayMax: 1})
}

// FuzzParseBody: any body gets an object or a 4xx error, never a panic.
func FuzzParseBody(f *testing.F) {
	for _, s := range []string{`{"username":"a","password":"b"}`, ``, `[]`, `{"items":[{"product_id":"1"}]}`, `{`, `null`, `{"a":1}{"b":2}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, e := parseBody(raw, "{}")
		if (b == nil) == (e == nil) {
			t.Fatalf("body %v, error %v", b, e)
		}
		if e != nil && (e.Status != 400 && e.Status != 413 || e.Message == "") {
			t.Fatalf("error %+v", e)
		}
		if b != nil {
			// The field readers never panic either.
			b.str("username", "user")
			b.num("amount")
			b.intIn("batch_size", 1, MaxBatchSize, 1)
			items(b)
		}
	})
}

// FuzzQuery: any query value is in bounds or a 400 naming the parameter.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"1", "0", "10001", "-5", "abc", "", " 7 ", "1e3", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		q := map[string][]string{"size": {v}}
		n, e := queryInt(q, "size", 1, MaxHeavySize, DefaultHeavySize)
		if e != nil {
			if e.Status != 400 || e.Parameter != "size" || *e.Max != MaxHeavySize {
				t.Fatalf("error %+v", e)
			}
			return
		}
		if n < 1 || n > MaxHeavySize {
			t.Fatalf("%q → %d out of bounds", v, n)
		}
		if _, _, e := queryFloat(q, "size"); e != nil && e.Parameter != "size" {
			t.Fatalf("float error %+v", e)
		}
	})
}
