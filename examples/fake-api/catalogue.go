package fakeapi

// Route is one entry of the endpoint catalogue, as GET /stats lists it.
type Route struct {
	// Method and Path form the route; Path is a net/http pattern path, the
	// same as the OpenAPI path ("/api/v1/orders/{order_id}").
	Method string `json:"method"`
	Path   string `json:"path"`
	// Auth says a bearer token from a login is required.
	Auth bool `json:"auth"`
	// Latency describes the simulated latency at LatencyScale 1.
	Latency string `json:"latency"`
	// ErrorStatus is the status of an injected error (0: none injected).
	ErrorStatus int `json:"error_status,omitempty"`
	// Summary says what the route does.
	Summary string `json:"summary"`
}

// Latency descriptions.
const (
	latNone  = "none"
	latDelay = "delay"
)

// route is a catalogue entry and its handler.
type route struct {
	Route
	handle func(*call)
}

// routeTable returns the catalogue with the server's handlers, in the order
// GET /stats lists them.
func (s *server) routeTable() []route {
	r := func(method, path string, auth bool, latency string, errStatus int, summary string, h func(*call)) route {
		return route{Route{Method: method, Path: path, Auth: auth, Latency: latency, ErrorStatus: errStatus, Summary: summary}, h}
	}
	const (
		auth   = true
		noAuth = false
	)
	return []route{
		r("GET", "/health", noAuth, latNone, 0, "health check", s.health),
		r("GET", "/stats", noAuth, latNone, 0, "counters per endpoint, configuration, catalogue", s.statsHandler),

		r("POST", "/auth/login", noAuth, latDelay, 503, "log in: {username, password} → bearer token", s.login),
		r("POST", "/api/v1/users/login", noAuth, latDelay, 503, "log in (alias of /auth/login)", s.login),
		r("POST", "/auth/logout", auth, latDelay, 0, "revoke the bearer token", s.logout),

		r("GET", "/orders", auth, latDelay, 503, "the caller's orders", s.listOrders),
		r("POST", "/orders", auth, latDelay, 503, "create an order", s.createOrder),
		r("GET", "/api/v1/orders", auth, latDelay, 503, "the caller's orders", s.listOrders),
		r("POST", "/api/v1/orders", auth, latDelay, 503, "create an order", s.createOrder),
		r("GET", "/api/v1/cart", auth, latDelay, 503, "the caller's cart (orders)", s.listOrders),
		r("GET", "/api/v1/cart/items", auth, latDelay, 503, "the caller's cart items (orders)", s.listOrders),
		r("POST", "/api/v1/cart/items", auth, latDelay, 503, "add an item to the cart (creates an order)", s.createOrder),

		r("GET", "/orders/{order_id}", auth, latDelay, 500, "one order", s.getOrder),
		r("PUT", "/orders/{order_id}", auth, latDelay, 500, "change an order's items or cancel it", s.updateOrder),
		r("DELETE", "/orders/{order_id}", auth, latDelay, 500, "delete an order", s.deleteOrder),
		r("GET", "/api/v1/orders/{order_id}", auth, latDelay, 500, "one order", s.getOrder),
		r("PUT", "/api/v1/orders/{order_id}", auth, latDelay, 500, "change an order's items or cancel it", s.updateOrder),
		r("DELETE", "/api/v1/orders/{order_id}", auth, latDelay, 500, "delete an order", s.deleteOrder),

		r("POST", "/payment/process", auth, "0.5-2s", 504, "pay an order: {order_id, amount}", s.pay),
		r("POST", "/api/v1/payments", auth, "0.5-2s", 504, "pay an order: {order_id, amount}", s.pay),
		r("GET", "/payment/{payment_id}", auth, latDelay, 0, "one payment", s.getPayment),
		r("GET", "/api/v1/payments/{payment_id}", auth, latDelay, 0, "one payment", s.getPayment),

		r("GET", "/api/v1/users", auth, latDelay, 503, "list users", s.listUsers),
		r("POST", "/api/v1/users", noAuth, latDelay, 503, "register a user: {username, email}", s.createUser),
		r("GET", "/api/v1/users/{user_id}", auth, latDelay, 500, "one user", s.getUser),
		r("PUT", "/api/v1/users/{user_id}", auth, latDelay, 500, "change the caller's email", s.updateUser),
		r("DELETE", "/api/v1/users/{user_id}", auth, latDelay, 500, "delete the caller's account", s.deleteUser),

		r("GET", "/api/v1/products", noAuth, latDelay, 503, "products; filters category, min_price, max_price", s.listProducts),
		r("GET", "/api/v1/inventory", noAuth, latDelay, 503, "stock per product; same filters", s.listProducts),
		r("GET", "/api/v1/products/search", noAuth, latDelay, 503, "products whose name or category contains q", s.searchProducts),
		r("GET", "/api/v1/products/{product_id}", noAuth, latDelay, 503, "one product", s.getProduct),

		r("GET", "/api/v1/analytics/dashboard", noAuth, "1-3s", 504, "totals from the store", s.dashboard),
		r("GET", "/api/v1/search", noAuth, "min(len(q)*0.1s + 0.2-1s, 3s)", 503, "search products and users", s.search),

		r("GET", "/api/v1/notifications", auth, latDelay, 0, "the caller's notifications", s.listNotifications),
		r("POST", "/api/v1/notifications", auth, latDelay, 0, "send the caller a notification: {message}", s.createNotification),

		r("POST", "/api/v1/files/upload", auth, "2-5s", 503, "upload a file: JSON {filename, content} or multipart field file", s.upload),
		r("GET", "/api/v1/files/{file_id}", auth, latDelay, 0, "a file's metadata", s.getFile),
		r("DELETE", "/api/v1/files/{file_id}", auth, latDelay, 0, "delete a file", s.deleteFile),

		r("POST", "/api/v1/reports/generate", auth, "CPU + 10ms per 50000 complexity", 500, "generate a report (CPU work)", s.report),
		r("POST", "/api/v1/cache/clear", noAuth, latDelay, 503, "clear the cache", s.clearCache),
		r("POST", "/api/v1/batch/process", auth, "min(batch_size*10ms + 0.5-2s, 10s)", 500, "process a batch", s.batch),

		r("GET", "/data/heavy", noAuth, latDelay, 0, "size records of about 400 bytes", s.heavy),
		r("GET", "/cpu/intensive", noAuth, latNone, 0, "a CPU loop of the given iterations", s.cpu),
	}
}

// Catalogue returns the endpoints the fake API serves itself, in a stable
// order. Paths not in it go to the demo target (DemoRoutes).
func Catalogue() []Route {
	s := &server{}
	rs := s.routeTable()
	out := make([]Route, len(rs))
	for i, r := range rs {
		out[i] = r.Route
	}
	return out
}

// DemoRoutes lists the routes of the mounted demo target (package
// examples/demo) that the catalogue does not shadow.
func DemoRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/", Latency: latNone, Summary: "demo: greeting"},
		{Method: "GET", Path: "/api/products", Latency: "demo latency", Summary: "demo: a page of ten products"},
		{Method: "POST", Path: "/api/auth/login", Latency: "demo latency", Summary: "demo: log in"},
		{Method: "POST", Path: "/api/cart", Auth: true, Latency: "demo latency", Summary: "demo: add to cart"},
		{Method: "GET", Path: "/static/logo.png", Latency: latNone, Summary: "demo: a small PNG"},
		{Method: "GET", Path: "/status/{code}", Latency: latNone, Summary: "demo: answers that status"},
		{Method: "GET", Path: "/slow", Latency: "ms query parameter", Summary: "demo: answers after ms milliseconds"},
		{Method: "GET", Path: "/reset", Latency: latNone, Summary: "demo: resets the connection"},
	}
}
