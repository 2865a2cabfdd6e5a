package fakeapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds of the numeric parameters.
const (
	MaxHeavySize     = 10_000
	DefaultHeavySize = 1000
	MaxIterations    = 10_000_000
	DefaultIter      = 100_000
	MaxComplexity    = 5_000_000
	DefaultComplex   = 500_000
	MaxBatchSize     = 1000
	DefaultBatchSize = 100
	MaxQuantity      = 100
	MaxItems         = 50
	MaxUserList      = 100
	MaxQueryLen      = 200
	MaxMessageLen    = 500
	MaxUpload        = 1 << 20
)

// health answers at once, with no injected errors.
func (s *server) health(c *call) {
	c.reply(http.StatusOK, map[string]any{
		"status":       "healthy",
		"timestamp":    time.Now().UTC().Format(time.RFC3339Nano),
		"version":      Version,
		"memory_usage": heapBytes(),
	})
}

// heapBytes reads the live heap size without stopping the world.
func heapBytes() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		return sample[0].Value.Uint64()
	}
	return 0
}

// --- auth -------------------------------------------------------------------

const loginFields = `{"username": "...", "password": "..."}`

func (s *server) login(c *call) {
	b, e := decodeBody(c.r, loginFields)
	if e != nil {
		c.error(e)
		return
	}
	name, e := b.str("username", "user", "email")
	if e != nil {
		c.error(e)
		return
	}
	pass, e := b.str("password")
	if e != nil {
		c.error(e)
		return
	}
	switch {
	case name == "":
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "username", Message: `"username" is required: send ` + loginFields})
		return
	case !validUsername(name):
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "username", Message: `"username" must be 1 to 64 bytes of text without control characters`})
		return
	case pass == "":
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "password", Message: `"password" is required: send ` + loginFields})
		return
	}
	if !c.simulate(c.delay()) {
		return
	}
	token, u := s.st.login(name, time.Now())
	c.reply(http.StatusOK, map[string]any{
		"token":      token,
		"token_type": "Bearer",
		"expires_in": int(s.opts.TokenTTL / time.Second),
		"user":       u,
	})
}

func (s *server) logout(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	if !s.st.logout(c.token) {
		c.unauthorized("unknown token")
		return
	}
	c.reply(http.StatusOK, map[string]any{"message": "logged out", "user": c.user.Username})
}

// --- orders -----------------------------------------------------------------

const orderFields = `{"items": [{"product_id": 1, "quantity": 2}]} or {"product_id": 1, "quantity": 2}`

// items reads an order's items: "items" or a single product_id/quantity.
func items(b body) ([]Item, *apiError) {
	var raw []any
	switch v := b["items"].(type) {
	case nil:
		if _, ok := b["product_id"]; !ok {
			return nil, &apiError{Status: http.StatusBadRequest, Parameter: "items", Message: `"items" is required: send ` + orderFields}
		}
		raw = []any{map[string]any(b)}
	case []any:
		raw = v
	default:
		return nil, &apiError{Status: http.StatusBadRequest, Parameter: "items", Message: `"items" must be a list: send ` + orderFields}
	}
	if len(raw) == 0 || len(raw) > MaxItems {
		lo, hi := 1, MaxItems
		return nil, &apiError{Status: http.StatusBadRequest, Parameter: "items", Min: &lo, Max: &hi,
			Message: fmt.Sprintf(`"items" must hold 1 to %d items, got %d`, MaxItems, len(raw))}
	}
	out := make([]Item, 0, len(raw))
	for _, it := range raw {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, &apiError{Status: http.StatusBadRequest, Parameter: "items", Message: `each item must be an object: send ` + orderFields}
		}
		ib := body(m)
		id, e := ib.intIn("product_id", 1, Products, 0)
		if e != nil {
			return nil, e
		}
		if id == 0 {
			return nil, &apiError{Status: http.StatusBadRequest, Parameter: "product_id", Message: `each item needs "product_id": send ` + orderFields}
		}
		q, e := ib.intIn("quantity", 1, MaxQuantity, 1)
		if e != nil {
			return nil, e
		}
		p, _ := product(id)
		out = append(out, Item{ProductID: id, Quantity: q, UnitPrice: p.Price})
	}
	return out, nil
}

func total(items []Item) float64 {
	var t float64
	for _, it := range items {
		t += it.UnitPrice * float64(it.Quantity)
	}
	return math.Round(t*100) / 100
}

func (s *server) listOrders(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	list := s.st.ordersOfLocked(c.user.Username)
	s.st.mu.Unlock()
	c.reply(http.StatusOK, map[string]any{"orders": list, "count": len(list)})
}

func (s *server) createOrder(c *call) {
	b, e := decodeBody(c.r, orderFields)
	if e != nil {
		c.error(e)
		return
	}
	its, e := items(b)
	if e != nil {
		c.error(e)
		return
	}
	if !c.simulate(c.delay()) {
		return
	}
	now := time.Now().UTC()
	s.st.mu.Lock()
	s.st.seq.order++
	o := &Order{ID: fmt.Sprintf("order-%05d", s.st.seq.order), User: c.user.Username, Items: its, Total: total(its),
		Status: "pending", Created: now, Updated: now}
	s.st.addOrderLocked(o)
	cp := *o
	s.st.mu.Unlock()
	c.w.Header().Set("Location", "/api/v1/orders/"+o.ID)
	c.reply(http.StatusCreated, &cp)
}

// ownOrderLocked looks up order id (the path's when "") for the caller; it
// writes 404 or 403 and returns nil when the caller may not see it. st.mu
// must be held.
func (c *call) ownOrderLocked(id string) *Order {
	if id == "" {
		id = c.r.PathValue("order_id")
	}
	o, ok := c.s.st.orders.get(id)
	if !ok {
		c.error(errorf(http.StatusNotFound, "order %q not found", id))
		return nil
	}
	if o.User != c.user.Username {
		c.error(errorf(http.StatusForbidden, "order %q belongs to another user", id))
		return nil
	}
	return o
}

func (s *server) getOrder(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	o := c.ownOrderLocked("")
	var cp Order
	if o != nil {
		cp = *o
	}
	s.st.mu.Unlock()
	if o != nil {
		c.reply(http.StatusOK, &cp)
	}
}

func (s *server) updateOrder(c *call) {
	b, e := decodeBody(c.r, `{"items": [...]} or {"status": "cancelled"}`)
	if e != nil {
		c.error(e)
		return
	}
	status, e := b.str("status")
	if e != nil {
		c.error(e)
		return
	}
	if status != "" && status != "cancelled" && status != "pending" {
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "status", Message: `"status" may only be set to "cancelled" or "pending"`})
		return
	}
	var its []Item
	if _, has := b["items"]; has || b["product_id"] != nil {
		if its, e = items(b); e != nil {
			c.error(e)
			return
		}
	}
	if its == nil && status == "" {
		c.error(errorf(http.StatusBadRequest, `nothing to change: send "items" or "status"`))
		return
	}
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	o := c.ownOrderLocked("")
	if o == nil {
		return
	}
	if o.Status == "paid" {
		c.error(errorf(http.StatusConflict, "order %q is paid and cannot change", o.ID))
		return
	}
	if its != nil {
		o.Items, o.Total = its, total(its)
	}
	if status != "" {
		o.Status = status
	}
	o.Updated = time.Now().UTC()
	cp := *o
	c.reply(http.StatusOK, &cp)
}

func (s *server) deleteOrder(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if o := c.ownOrderLocked(""); o != nil {
		s.st.deleteOrderLocked(o)
		c.reply(http.StatusOK, map[string]any{"order_id": o.ID, "deleted": true})
	}
}

// --- payments ---------------------------------------------------------------

const payFields = `{"order_id": "order-00001", "amount": 12.34, "method": "card"}`

func (s *server) pay(c *call) {
	b, e := decodeBody(c.r, payFields)
	if e != nil {
		c.error(e)
		return
	}
	orderID, e := b.str("order_id")
	if e != nil {
		c.error(e)
		return
	}
	if orderID == "" {
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "order_id", Message: `"order_id" is required: send ` + payFields})
		return
	}
	amount, ok, e := b.num("amount")
	if e != nil {
		c.error(e)
		return
	}
	if !ok || amount <= 0 || amount > 1e6 {
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "amount", Message: `"amount" must be a number above 0 and at most 1000000: send ` + payFields})
		return
	}
	method, e := b.str("method", "payment_method")
	if e != nil {
		c.error(e)
		return
	}
	if method == "" {
		method = "card"
	}
	// Look the order up before the slow part, so a bad order fails fast.
	s.st.mu.Lock()
	o := c.ownOrderLocked(orderID)
	s.st.mu.Unlock()
	if o == nil {
		return
	}
	if !c.simulate(c.between(500*time.Millisecond, 2*time.Second)) {
		return
	}
	if c.decline {
		c.reply(http.StatusPaymentRequired, map[string]any{"status": http.StatusPaymentRequired, "error": "payment declined", "order_id": orderID})
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if o = c.ownOrderLocked(orderID); o == nil { // deleted meanwhile
		return
	}
	if o.Status != "pending" {
		c.error(errorf(http.StatusConflict, "order %q is %s, not pending", o.ID, o.Status))
		return
	}
	now := time.Now().UTC()
	s.st.seq.payment++
	p := &Payment{ID: fmt.Sprintf("pay-%05d", s.st.seq.payment), OrderID: o.ID, User: c.user.Username,
		Amount: math.Round(amount*100) / 100, Method: method, Status: "completed", Created: now}
	s.st.addPaymentLocked(p)
	o.Status, o.Updated = "paid", now
	cp := *p
	c.w.Header().Set("Location", "/api/v1/payments/"+p.ID)
	c.reply(http.StatusCreated, &cp)
}

func (s *server) getPayment(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	id := c.r.PathValue("payment_id")
	s.st.mu.Lock()
	p, ok := s.st.payments.get(id)
	var cp Payment
	if ok {
		cp = *p
	}
	s.st.mu.Unlock()
	switch {
	case !ok:
		c.error(errorf(http.StatusNotFound, "payment %q not found", id))
	case cp.User != c.user.Username:
		c.error(errorf(http.StatusForbidden, "payment %q belongs to another user", id))
	default:
		c.reply(http.StatusOK, &cp)
	}
}

// --- users ------------------------------------------------------------------

func (s *server) listUsers(c *call) {
	limit, e := queryInt(c.r.URL.Query(), "limit", 1, MaxUserList, SeedUsers)
	if e != nil {
		c.error(e)
		return
	}
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	n := s.st.users.len()
	list := make([]User, 0, min(limit, n))
	s.st.users.each(func(u *User) bool {
		list = append(list, *u)
		return len(list) < limit
	})
	s.st.mu.Unlock()
	c.reply(http.StatusOK, map[string]any{"users": list, "count": len(list), "total": n})
}

const userFields = `{"username": "alice", "email": "alice@example.com"}`

func (s *server) createUser(c *call) {
	b, e := decodeBody(c.r, userFields)
	if e != nil {
		c.error(e)
		return
	}
	name, e := b.str("username")
	if e != nil {
		c.error(e)
		return
	}
	email, e := b.str("email")
	if e != nil {
		c.error(e)
		return
	}
	if !validUsername(name) {
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "username", Message: `"username" is required: 1 to 64 bytes of text without control characters; send ` + userFields})
		return
	}
	if email == "" || !strings.Contains(email, "@") || len(email) > 254 {
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "email", Message: `"email" is required and must be an address: send ` + userFields})
		return
	}
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if _, taken := s.st.users.get(name); taken {
		c.error(&apiError{Status: http.StatusConflict, Parameter: "username", Message: fmt.Sprintf("username %q is taken", name)})
		return
	}
	u := *s.st.addUserLocked(name, email, time.Now().UTC())
	c.w.Header().Set("Location", "/api/v1/users/"+strconv.Itoa(u.ID))
	c.reply(http.StatusCreated, &u)
}

// pathUserLocked resolves the path's user id; it writes 400 or 404 and
// returns nil when there is none. st.mu must be held.
func (c *call) pathUserLocked() *User {
	raw := c.r.PathValue("user_id")
	id, err := strconv.Atoi(raw)
	if err != nil || id < 1 {
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "user_id", Message: fmt.Sprintf("user_id must be a positive integer, got %q", raw)})
		return nil
	}
	name, ok := c.s.st.usersByID[id]
	u, found := c.s.st.users.get(name)
	if !ok || !found {
		c.error(errorf(http.StatusNotFound, "user %d not found", id))
		return nil
	}
	return u
}

func (s *server) getUser(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if u := c.pathUserLocked(); u != nil {
		c.reply(http.StatusOK, *u)
	}
}

func (s *server) updateUser(c *call) {
	b, e := decodeBody(c.r, `{"email": "new@example.com"}`)
	if e != nil {
		c.error(e)
		return
	}
	email, e := b.str("email")
	if e != nil {
		c.error(e)
		return
	}
	if email == "" || !strings.Contains(email, "@") || len(email) > 254 {
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "email", Message: `"email" is required and must be an address`})
		return
	}
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	u := c.pathUserLocked()
	if u == nil {
		return
	}
	if u.Username != c.user.Username {
		c.error(errorf(http.StatusForbidden, "user %d is not you: you may only change your own account", u.ID))
		return
	}
	u.Email = email
	c.reply(http.StatusOK, *u)
}

func (s *server) deleteUser(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	u := c.pathUserLocked()
	if u == nil {
		return
	}
	if u.Username != c.user.Username {
		c.error(errorf(http.StatusForbidden, "user %d is not you: you may only delete your own account", u.ID))
		return
	}
	s.st.users.del(u.Username)
	delete(s.st.usersByID, u.ID)
	c.reply(http.StatusOK, map[string]any{"id": u.ID, "deleted": true})
}

// --- products ---------------------------------------------------------------

func (s *server) listProducts(c *call) {
	q := c.r.URL.Query()
	lo, hasLo, e := queryFloat(q, "min_price")
	if e != nil {
		c.error(e)
		return
	}
	hi, hasHi, e := queryFloat(q, "max_price")
	if e != nil {
		c.error(e)
		return
	}
	category := strings.ToLower(strings.TrimSpace(q.Get("category")))
	if !c.simulate(c.delay()) {
		return
	}
	list := []Product{}
	for _, p := range catalog {
		if (category == "" || p.Category == category) && (!hasLo || p.Price >= lo) && (!hasHi || p.Price <= hi) {
			list = append(list, p)
		}
	}
	key := "products"
	if c.rt.Path == "/api/v1/inventory" {
		key = "inventory"
	}
	c.reply(http.StatusOK, map[string]any{key: list, "count": len(list)})
}

func (s *server) getProduct(c *call) {
	raw := c.r.PathValue("product_id")
	id, err := strconv.Atoi(raw)
	if err != nil {
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "product_id", Message: fmt.Sprintf("product_id must be an integer, got %q", raw)})
		return
	}
	if !c.simulate(c.delay()) {
		return
	}
	p, ok := product(id)
	if !ok {
		c.error(errorf(http.StatusNotFound, "product %d not found (ids are 1 to %d)", id, Products))
		return
	}
	c.reply(http.StatusOK, p)
}

// matchProducts returns the products whose name or category contains q.
func matchProducts(q string) []Product {
	q = strings.ToLower(q)
	out := []Product{}
	for _, p := range catalog {
		if strings.Contains(strings.ToLower(p.Name), q) || strings.Contains(p.Category, q) {
			out = append(out, p)
		}
	}
	return out
}

// searchQuery reads the q parameter: 1 to MaxQueryLen characters.
func searchQuery(c *call) (string, bool) {
	q := strings.TrimSpace(c.r.URL.Query().Get("q"))
	if q == "" || len(q) > MaxQueryLen {
		lo, hi := 1, MaxQueryLen
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "q", Min: &lo, Max: &hi,
			Message: fmt.Sprintf("q is required: 1 to %d characters, got %d", MaxQueryLen, len(q))})
		return "", false
	}
	return q, true
}

func (s *server) searchProducts(c *call) {
	q, ok := searchQuery(c)
	if !ok || !c.simulate(c.delay()) {
		return
	}
	res := matchProducts(q)
	c.reply(http.StatusOK, map[string]any{"query": q, "products": res, "count": len(res)})
}

func (s *server) search(c *call) {
	q, ok := searchQuery(c)
	if !ok {
		return
	}
	d := time.Duration(len(q))*100*time.Millisecond + c.between(200*time.Millisecond, time.Second)
	if !c.simulate(min(d, 3*time.Second)) {
		return
	}
	res := matchProducts(q)
	var users []User
	lq := strings.ToLower(q)
	s.st.mu.Lock()
	s.st.users.each(func(u *User) bool {
		if strings.Contains(strings.ToLower(u.Username), lq) {
			users = append(users, *u)
		}
		return len(users) < 20
	})
	s.st.mu.Unlock()
	if users == nil {
		users = []User{}
	}
	c.reply(http.StatusOK, map[string]any{"query": q, "products": res, "users": users, "count": len(res) + len(users)})
}

func (s *server) dashboard(c *call) {
	if !c.simulate(c.between(time.Second, 3*time.Second)) {
		return
	}
	s.st.mu.Lock()
	revenue, paid := s.st.revenue, s.st.paid
	out := map[string]any{
		"users":          s.st.users.len(),
		"active_tokens":  s.st.tokens.len(),
		"orders":         s.st.orders.len(),
		"payments":       paid,
		"revenue":        math.Round(revenue*100) / 100,
		"files":          s.st.files.len(),
		"notifications":  s.st.notifications.len(),
		"products":       Products,
		"generated_at":   time.Now().UTC().Format(time.RFC3339),
		"uptime_seconds": int(time.Since(s.start).Seconds()),
	}
	s.st.mu.Unlock()
	c.reply(http.StatusOK, out)
}

// --- notifications ----------------------------------------------------------

func (s *server) listNotifications(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	list := s.st.notificationsOfLocked(c.user.Username)
	s.st.mu.Unlock()
	c.reply(http.StatusOK, map[string]any{"notifications": list, "count": len(list)})
}

func (s *server) createNotification(c *call) {
	b, e := decodeBody(c.r, `{"message": "..."}`)
	if e != nil {
		c.error(e)
		return
	}
	msg, e := b.str("message")
	if e != nil {
		c.error(e)
		return
	}
	if msg == "" || len(msg) > MaxMessageLen {
		lo, hi := 1, MaxMessageLen
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "message", Min: &lo, Max: &hi,
			Message: fmt.Sprintf(`"message" must be 1 to %d characters`, MaxMessageLen)})
		return
	}
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	s.st.seq.notification++
	n := Notification{ID: s.st.seq.notification, User: c.user.Username, Message: msg, Created: time.Now().UTC()}
	s.st.addNotificationLocked(&n)
	cp := n
	s.st.mu.Unlock()
	c.reply(http.StatusCreated, cp)
}

// --- files ------------------------------------------------------------------

// uploaded reads an upload: JSON {"filename", "content", "encoding"?} or a
// multipart form's "file" field.
func uploaded(w http.ResponseWriter, r *http.Request) (name, ctype string, data []byte, e *apiError) {
	const want = `{"filename": "a.txt", "content": "..."} (add "encoding": "base64" for binary) or a multipart form with a "file" field`
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, MaxUpload+64<<10)
		f, hdr, err := r.FormFile("file")
		if err != nil {
			return "", "", nil, &apiError{Status: http.StatusBadRequest, Parameter: "file", Message: fmt.Sprintf("multipart upload: %v: send %s", err, want)}
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, MaxUpload+1))
		if err != nil {
			return "", "", nil, errorf(http.StatusBadRequest, "reading the upload: %v", err)
		}
		if len(data) > MaxUpload {
			return "", "", nil, errorf(http.StatusRequestEntityTooLarge, "file larger than %d bytes", MaxUpload)
		}
		ct := hdr.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/octet-stream"
		}
		return hdr.Filename, ct, data, nil
	}
	b, e := decodeBody(r, want)
	if e != nil {
		return "", "", nil, e
	}
	if name, e = b.str("filename", "name"); e != nil {
		return "", "", nil, e
	}
	content, ok := b["content"].(string)
	if name == "" || !ok {
		return "", "", nil, &apiError{Status: http.StatusBadRequest, Parameter: "filename", Message: `"filename" and "content" (a string) are required: send ` + want}
	}
	enc, _ := b["encoding"].(string)
	ctype = "text/plain"
	if enc == "base64" {
		raw, err := base64.StdEncoding.DecodeString(content)
		if err != nil {
			return "", "", nil, &apiError{Status: http.StatusBadRequest, Parameter: "content", Message: "content is not valid base64: " + err.Error()}
		}
		data, ctype = raw, "application/octet-stream"
	} else {
		data = []byte(content)
	}
	if len(data) > MaxUpload {
		return "", "", nil, errorf(http.StatusRequestEntityTooLarge, "file larger than %d bytes", MaxUpload)
	}
	return name, ctype, data, nil
}

func (s *server) upload(c *call) {
	name, ctype, data, e := uploaded(c.w, c.r)
	if e != nil {
		c.error(e)
		return
	}
	if len(name) > 255 {
		c.error(&apiError{Status: http.StatusBadRequest, Parameter: "filename", Message: "filename longer than 255 characters"})
		return
	}
	if !c.simulate(c.between(2*time.Second, 5*time.Second)) {
		return
	}
	sum := sha256.Sum256(data)
	s.st.mu.Lock()
	s.st.seq.file++
	f := File{ID: fmt.Sprintf("file-%05d", s.st.seq.file), User: c.user.Username, Filename: name, ContentType: ctype,
		Size: len(data), SHA256: hex.EncodeToString(sum[:]), Created: time.Now().UTC()}
	s.st.files.put(f.ID, &f)
	s.st.mu.Unlock()
	c.w.Header().Set("Location", "/api/v1/files/"+f.ID)
	c.reply(http.StatusCreated, f)
}

// ownFileLocked resolves the path's file for the caller, writing 404 or
// 403. st.mu must be held.
func (c *call) ownFileLocked() *File {
	id := c.r.PathValue("file_id")
	f, ok := c.s.st.files.get(id)
	if !ok {
		c.error(errorf(http.StatusNotFound, "file %q not found", id))
		return nil
	}
	if f.User != c.user.Username {
		c.error(errorf(http.StatusForbidden, "file %q belongs to another user", id))
		return nil
	}
	return f
}

func (s *server) getFile(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if f := c.ownFileLocked(); f != nil {
		c.reply(http.StatusOK, *f)
	}
}

func (s *server) deleteFile(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if f := c.ownFileLocked(); f != nil {
		s.st.files.del(f.ID)
		c.reply(http.StatusOK, map[string]any{"file_id": f.ID, "deleted": true})
	}
}

// --- work -------------------------------------------------------------------

// spin does n iterations of floating-point work, checking every 10,000
// whether the request's context ended; ok is false then.
func spin(c *call, n int) (result float64, ok bool) {
	ctx := c.r.Context()
	for i := 0; i < n; i++ {
		result += math.Sqrt(float64(i)) * math.Sin(float64(i))
		if i%10_000 == 9_999 && ctx.Err() != nil {
			c.stats.canceled.Add(1)
			return result, false
		}
	}
	return result, true
}

func (s *server) report(c *call) {
	n, e := queryInt(c.r.URL.Query(), "complexity", 1, MaxComplexity, DefaultComplex)
	if e != nil {
		c.error(e)
		return
	}
	begin := time.Now()
	res, ok := spin(c, n)
	// The original sleeps 10 ms per 50,000 of complexity.
	if !ok || !c.simulate(time.Duration(n/50_000)*10*time.Millisecond) {
		return
	}
	s.st.mu.Lock()
	s.st.seq.report++
	id := fmt.Sprintf("report-%05d", s.st.seq.report)
	s.st.mu.Unlock()
	c.reply(http.StatusOK, map[string]any{"report_id": id, "complexity": n, "result": res,
		"duration_ms": float64(time.Since(begin).Microseconds()) / 1000, "user": c.user.Username})
}

func (s *server) clearCache(c *call) {
	if !c.simulate(c.delay()) {
		return
	}
	s.st.mu.Lock()
	s.st.cacheClears++
	n := s.st.cacheClears
	s.st.mu.Unlock()
	c.reply(http.StatusOK, map[string]any{"cleared": true, "clears": n})
}

func (s *server) batch(c *call) {
	n := DefaultBatchSize
	if q := c.r.URL.Query(); q.Has("batch_size") {
		var e *apiError
		if n, e = queryInt(q, "batch_size", 1, MaxBatchSize, 0); e != nil || n == 0 {
			c.error(boundsError("batch_size", 1, MaxBatchSize, q.Get("batch_size")))
			return
		}
	} else if c.r.Body != nil && c.r.Body != http.NoBody && c.r.ContentLength != 0 {
		b, e := decodeBody(c.r, `{"batch_size": 100}`)
		if e != nil {
			c.error(e)
			return
		}
		if n, e = b.intIn("batch_size", 1, MaxBatchSize, DefaultBatchSize); e != nil {
			c.error(e)
			return
		}
	}
	d := time.Duration(n)*10*time.Millisecond + c.between(500*time.Millisecond, 2*time.Second)
	if !c.simulate(min(d, 10*time.Second)) {
		return
	}
	s.st.mu.Lock()
	s.st.seq.batch++
	id := fmt.Sprintf("batch-%05d", s.st.seq.batch)
	s.st.mu.Unlock()
	c.reply(http.StatusOK, map[string]any{"batch_id": id, "batch_size": n, "processed": n, "failed": 0})
}

// heavyDesc pads each record of /data/heavy to about 400 bytes.
var heavyDesc = strings.Repeat("lorem ipsum dolor sit amet ", 11)

func (s *server) heavy(c *call) {
	n, e := queryInt(c.r.URL.Query(), "size", 1, MaxHeavySize, DefaultHeavySize)
	if e != nil {
		c.error(e)
		return
	}
	if !c.simulate(c.delay()) {
		return
	}
	type record struct {
		ID          int      `json:"id"`
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Value       float64  `json:"value"`
		Tags        []string `json:"tags"`
	}
	recs := make([]record, n)
	tags := []string{"alpha", "beta", "gamma"}
	for i := range recs {
		recs[i] = record{ID: i + 1, Name: "record-" + strconv.Itoa(i+1), Description: heavyDesc, Value: float64(i) * 1.5, Tags: tags}
	}
	c.reply(http.StatusOK, map[string]any{"size": n, "records": recs})
}

func (s *server) cpu(c *call) {
	n, e := queryInt(c.r.URL.Query(), "iterations", 1, MaxIterations, DefaultIter)
	if e != nil {
		c.error(e)
		return
	}
	begin := time.Now()
	res, ok := spin(c, n)
	if !ok {
		return
	}
	c.reply(http.StatusOK, map[string]any{"iterations": n, "result": res, "duration_ms": float64(time.Since(begin).Microseconds()) / 1000})
}

// --- stats ------------------------------------------------------------------

// EndpointStats are one route's counters in GET /stats.
type EndpointStats struct {
	Requests  int64 `json:"requests"`
	Status2xx int64 `json:"2xx"`
	Status3xx int64 `json:"3xx"`
	Status4xx int64 `json:"4xx"`
	Status5xx int64 `json:"5xx"`
	Injected  int64 `json:"injected_errors"`
	Canceled  int64 `json:"canceled"`
}

// Stats is the answer of GET /stats.
type Stats struct {
	UptimeSeconds float64                  `json:"uptime_seconds"`
	Requests      int64                    `json:"requests"`
	Endpoints     map[string]EndpointStats `json:"endpoints"` // "METHOD PATH" → counters
	DemoRequests  int64                    `json:"demo_requests"`
	Config        StatsConfig              `json:"config"`
	Store         map[string]int           `json:"store"`
	Catalogue     []Route                  `json:"catalogue"`
	DemoRoutes    []Route                  `json:"demo_routes"`
}

// StatsConfig is the configuration part of GET /stats.
type StatsConfig struct {
	DelayMinSeconds float64 `json:"response_delay_min"`
	DelayMaxSeconds float64 `json:"response_delay_max"`
	ErrorRate       float64 `json:"error_rate"`
	DeclineRate     float64 `json:"decline_rate"`
	LatencyScale    float64 `json:"latency_scale"`
	Seed            uint64  `json:"seed"`
	TokenTTLSeconds float64 `json:"token_ttl_seconds"`
}

func (s *server) statsHandler(c *call) {
	st := Stats{
		UptimeSeconds: time.Since(s.start).Seconds(),
		Endpoints:     map[string]EndpointStats{},
		DemoRequests:  s.demo.requests.Load(),
		Config: StatsConfig{
			DelayMinSeconds: s.opts.DelayMin.Seconds(), DelayMaxSeconds: s.opts.DelayMax.Seconds(),
			ErrorRate: s.opts.ErrorRate, DeclineRate: s.opts.DeclineRate, LatencyScale: s.opts.LatencyScale,
			Seed: s.seed, TokenTTLSeconds: s.opts.TokenTTL.Seconds(),
		},
		DemoRoutes: DemoRoutes(),
	}
	for i := range s.routes {
		rs := &s.stats[i]
		e := EndpointStats{
			Requests: rs.requests.Load(), Status2xx: rs.status2xx.Load(), Status3xx: rs.status3xx.Load(),
			Status4xx: rs.status4xx.Load(), Status5xx: rs.status5xx.Load(), Injected: rs.injected.Load(), Canceled: rs.canceled.Load(),
		}
		st.Endpoints[s.routes[i].Method+" "+s.routes[i].Path] = e
		st.Requests += e.Requests
		st.Catalogue = append(st.Catalogue, s.routes[i].Route)
	}
	st.Requests += st.DemoRequests
	s.st.mu.Lock()
	st.Store = map[string]int{
		"users": s.st.users.len(), "tokens": s.st.tokens.len(), "orders": s.st.orders.len(),
		"payments": s.st.payments.len(), "files": s.st.files.len(), "notifications": s.st.notifications.len(),
	}
	s.st.mu.Unlock()
	slices.SortStableFunc(st.Catalogue, func(a, b Route) int { return strings.Compare(a.Path, b.Path) })
	c.reply(http.StatusOK, st)
}
