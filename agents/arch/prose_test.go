package arch

import (
	"reflect"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/loadgen/results"
)

// proseOf runs the offline heuristics over one Markdown document.
func proseOf(text string, endpoints []Endpoint, auth *Auth) (proseAnswer, []string) {
	return offlineProse([]*document{{name: "doc.md", data: []byte(text)}}, endpoints, auth)
}

func TestDetectNFRs(t *testing.T) {
	tests := []struct {
		text string
		want NFRSuggestions
	}{
		{"The p95 latency must stay below 500 ms.", NFRSuggestions{ResponseTimeP95: "500ms"}},
		{"95th percentile response time under 0.8 s, p99 under 2 seconds.", NFRSuggestions{ResponseTimeP95: "800ms", ResponseTimeP99: "2000ms"}},
		{"95% of requests complete within 300ms.", NFRSuggestions{ResponseTimeP95: "300ms"}},
		{"Responses take at most 250 ms at the 90th percentile.", NFRSuggestions{ResponseTimeP90: "250ms"}},
		{"Median response time of 120 milliseconds; average below 150 ms.", NFRSuggestions{ResponseTimeP50: "120ms", ResponseTimeAvg: "150ms"}},
		{"The API handles 200 requests per second.", NFRSuggestions{Throughput: "200rps"}},
		{"Peak load is 1,200 req/s.", NFRSuggestions{Throughput: "1200rps"}},
		{"We expect 2k requests per second.", NFRSuggestions{Throughput: "2000rps"}},
		{"Orders: 3000 transactions per minute.", NFRSuggestions{Throughput: "3000/min"}},
		{"Target 99.9% availability and an error rate below 1%.", NFRSuggestions{Availability: "99.9%", ErrorRate: "1%"}},
		{"Uptime of at least 99.95% is required.", NFRSuggestions{Availability: "99.95%"}},
		{"Fewer than 0.5% errors.", NFRSuggestions{ErrorRate: "0.5%"}},
		{"Support 1000 concurrent users.", NFRSuggestions{MaxConcurrentUsers: 1000}},
		{"Up to 5,000 simultaneous sessions at launch.", NFRSuggestions{MaxConcurrentUsers: 5000}},
		{`{"non_functional_requirements": {"performance": {"max_concurrent_users": 250}}}`, NFRSuggestions{MaxConcurrentUsers: 250}},
		{"The service is fast and reliable.", NFRSuggestions{}},
		{"We store 500 ms worth of audio. There are 95 products.", NFRSuggestions{}},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			got := detectNFRs(sentences(prepare(&document{name: "d.md", data: []byte(tc.text)})))
			notes := got.Notes
			got.Notes = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if reflect.DeepEqual(tc.want, NFRSuggestions{}) != (len(notes) == 0) {
				t.Errorf("notes %q", notes)
			}
			// Whatever is found parses as an NFR file.
			if src := got.NFRFile(); src != nil {
				if _, err := results.ParseNFR(src, "x"); err != nil {
					t.Errorf("ParseNFR: %v", err)
				}
			}
		})
	}
}

func TestComponentsAndFlows(t *testing.T) {
	text := `# Shop

The Web Frontend calls the API Gateway, which forwards requests to the Cart Service and the catalog-service.
The Cart Service stores carts in PostgreSQL and caches sessions in Redis.
The catalog-svc publishes price changes to Kafka. Invoices go to Amazon S3.
Payments use Stripe.

Frontend → API Gateway → Cart Service
`
	a, _ := proseOf(text, nil, nil)
	got := map[string]string{}
	for _, c := range a.Components {
		got[c.Name] = c.Kind
	}
	want := map[string]string{
		"Frontend": "frontend", "API Gateway": "gateway", "Cart Service": "service", "Catalog Service": "service",
		"PostgreSQL": "database", "Redis": "cache", "Kafka": "queue", "S3": "external", "Stripe": "external",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("components %v, want %v", got, want)
	}
	var flows []string
	for _, f := range a.DataFlows {
		flows = append(flows, f.From+" > "+f.To)
	}
	for _, f := range []string{
		"Frontend > API Gateway", "API Gateway > Cart Service", "API Gateway > Catalog Service",
		"Cart Service > PostgreSQL", "Cart Service > Redis", "Catalog Service > Kafka",
	} {
		if !strings.Contains(strings.Join(flows, "\n"), f) {
			t.Errorf("no flow %q in %q", f, flows)
		}
	}
	if len(flows) != 6 {
		t.Errorf("flows %q", flows)
	}
}

func TestGenericComponents(t *testing.T) {
	a, _ := proseOf("Orders are kept in the database. A message queue decouples billing.", nil, nil)
	if len(a.Components) != 2 || a.Components[0].Name != "Database" || a.Components[1].Kind != KindQueue {
		t.Errorf("components %+v", a.Components)
	}
	a, _ = proseOf("PostgreSQL is the database.", nil, nil)
	if len(a.Components) != 1 || a.Components[0].Name != "PostgreSQL" {
		t.Errorf("a named database and a generic one: %+v", a.Components)
	}
}

// shopEndpoints is a small API for the workflow heuristics.
var shopEndpoints = []Endpoint{
	{Method: "POST", Path: "/api/auth/login", OperationID: "login"},
	{Method: "POST", Path: "/api/cart", OperationID: "addToCart", Security: []string{"bearer"}},
	{Method: "GET", Path: "/api/cart", OperationID: "getCart", Security: []string{"bearer"}},
	{Method: "POST", Path: "/api/orders", OperationID: "placeOrder", Summary: "Checkout", Security: []string{"bearer"}},
	{Method: "GET", Path: "/api/products", OperationID: "listProducts"},
	{Method: "GET", Path: "/api/products/{id}", OperationID: "getProduct"},
	{Method: "GET", Path: "/health"},
}

var shopAuth = &Auth{Method: "POST", Path: "/api/auth/login", TokenPath: "$.token", Header: "Authorization", Prefix: "Bearer "}

func TestWorkflowsFromProse(t *testing.T) {
	text := `# Journeys

- **Checkout** (business-critical): log in → browse products → view product → add to cart → place order
- Browsing: browse products -> GET /api/products/42
- Wishlist: log in → save to wishlist

## Returning customer

1. POST /api/auth/login
2. GET /api/cart?mine=1
3. DELETE /api/cart
`
	a, warns := proseOf(text, shopEndpoints, shopAuth)
	type wf struct {
		name     string
		steps    string
		critical bool
	}
	var got []wf
	for _, w := range a.Workflows {
		var s []string
		for _, st := range w.Steps {
			s = append(s, st.Method+" "+st.Endpoint)
		}
		got = append(got, wf{w.Name, strings.Join(s, ", "), w.Critical})
	}
	want := []wf{
		{"checkout", "POST /api/auth/login, GET /api/products, GET /api/products/{id}, POST /api/cart, POST /api/orders", true},
		{"browsing", "GET /api/products, GET /api/products/{id}", false},
		{"wishlist", "POST /api/auth/login", false},
		{"returning-customer", "POST /api/auth/login, GET /api/cart", false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("workflows\n got %+v\nwant %+v", got, want)
	}
	for _, w := range []string{`doc.md:5: workflow "wishlist": step "save to wishlist" names no endpoint`, "doc.md:11: DELETE /api/cart is not an endpoint"} {
		if !strings.Contains(strings.Join(warns, "\n"), w) {
			t.Errorf("no warning %q in %q", w, warns)
		}
	}
}

func TestWorkflowsWithoutSpec(t *testing.T) {
	a, _ := proseOf("Checkout flow:\n\n1. POST /login\n2. POST /orders?x=1\n", nil, nil)
	if len(a.Workflows) != 1 || a.Workflows[0].Name != "checkout" || a.Workflows[0].Steps[1].Endpoint != "/orders" || !a.Workflows[0].Critical {
		t.Errorf("workflows %+v", a.Workflows)
	}
}

func TestDerivedWorkflows(t *testing.T) {
	a, _ := proseOf("Nothing about journeys here.", shopEndpoints, shopAuth)
	if len(a.Workflows) != 2 {
		t.Fatalf("workflows %+v", a.Workflows)
	}
	login, browse := a.Workflows[0], a.Workflows[1]
	if login.Name != "login-first" || login.Steps[0].Endpoint != "/api/auth/login" || login.Steps[1].Endpoint != "/api/products" || len(login.Steps) != 5 {
		t.Errorf("login-first %+v", login)
	}
	if browse.Name != "browse" || len(browse.Steps) != 2 || browse.Steps[1].Endpoint != "/api/products/{id}" {
		t.Errorf("browse %+v", browse)
	}
	for _, w := range a.Workflows {
		for i, s := range w.Steps {
			if s.Order != i+1 || s.Endpoint == "/health" {
				t.Errorf("step %+v", s)
			}
		}
	}
	// No endpoints: no workflows, and the answer still validates.
	a, _ = proseOf("Nothing.", nil, nil)
	if len(a.Workflows) != 0 {
		t.Errorf("workflows without endpoints: %+v", a.Workflows)
	}
}

func TestWorkflowName(t *testing.T) {
	for title, want := range map[string]string{
		"Critical journey: checkout":  "checkout",
		"The Checkout Flow":           "checkout",
		"Browse catalog (read-only)":  "browse-catalog",
		"User sign-up journey":        "sign-up",
		"Journeys":                    "journeys",
		"":                            "",
		"Business-critical: pay now!": "pay-now",
	} {
		if got := workflowName(title); got != want {
			t.Errorf("workflowName(%q) = %q, want %q", title, got, want)
		}
	}
}

func TestMatchEndpoint(t *testing.T) {
	eps := []Endpoint{
		{Method: "GET", Path: "/files/{name}.{ext}"},
		{Method: "GET", Path: "/status/{code}"},
		{Method: "GET", Path: "/status/ok"},
		{Method: "GET", Path: "/"},
	}
	tests := []struct{ method, path, want string }{
		{"GET", "/status/ok", "/status/ok"},
		{"get", "/status/503", "/status/{code}"},
		{"GET", "/status/{status}", "/status/{code}"},
		{"GET", "http://host:8080/status/1?x=1", "/status/{code}"},
		{"GET", "/files/report.pdf", "/files/{name}.{ext}"},
		{"GET", "/files/report", ""},
		{"GET", "/status", ""},
		{"POST", "/status/1", ""},
		{"GET", "", "/"},
		{"GET", "/status/1/", "/status/{code}"},
	}
	for _, tc := range tests {
		e, ok := matchEndpoint(eps, tc.method, tc.path)
		if (tc.want == "") == ok || (ok && e.Path != tc.want) {
			t.Errorf("matchEndpoint(%s %s) = %q, %v; want %q", tc.method, tc.path, e.Path, ok, tc.want)
		}
	}
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{"bearerAuth": "BEARER_AUTH", "api_key": "API_KEY", "OAuth2": "OAUTH2", "x-token": "X_TOKEN", "2fa": "API_2FA", "": "API"} {
		if got := envName(in); got != want {
			t.Errorf("envName(%q) = %q, want %q", in, got, want)
		}
	}
}
