package fakeapi

import (
	"container/list"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Bounds of the store: past them the oldest entries are forgotten, so a
// long load test cannot make the process grow without end.
const (
	maxUsers         = 100_000
	maxTokens        = 100_000
	maxOrders        = 200_000
	maxPayments      = 200_000
	maxFiles         = 10_000
	maxNotifications = 100_000
	// SeedUsers is how many users exist at start: user1 … user20.
	SeedUsers = 20
)

// bounded is a map that forgets its oldest entries beyond max.
type bounded[V any] struct {
	max     int
	m       map[string]*list.Element
	l       list.List // of *entry[V], oldest first
	onEvict func(V)   // called for each entry forgotten past max (optional)
}

type entry[V any] struct {
	key string
	val V
}

func newBounded[V any](max int) *bounded[V] {
	return &bounded[V]{max: max, m: map[string]*list.Element{}}
}

func (b *bounded[V]) get(k string) (V, bool) {
	if e, ok := b.m[k]; ok {
		return e.Value.(*entry[V]).val, true
	}
	var zero V
	return zero, false
}

func (b *bounded[V]) put(k string, v V) {
	if e, ok := b.m[k]; ok {
		e.Value.(*entry[V]).val = v
		return
	}
	b.m[k] = b.l.PushBack(&entry[V]{k, v})
	for len(b.m) > b.max {
		old := b.l.Front()
		b.l.Remove(old)
		e := old.Value.(*entry[V])
		delete(b.m, e.key)
		if b.onEvict != nil {
			b.onEvict(e.val)
		}
	}
}

func (b *bounded[V]) del(k string) bool {
	e, ok := b.m[k]
	if ok {
		b.l.Remove(e)
		delete(b.m, k)
	}
	return ok
}

func (b *bounded[V]) len() int { return len(b.m) }

// each calls f for every entry, oldest first, until f returns false.
func (b *bounded[V]) each(f func(V) bool) {
	for e := b.l.Front(); e != nil; e = e.Next() {
		if !f(e.Value.(*entry[V]).val) {
			return
		}
	}
}

// User is a registered user.
type User struct {
	ID       int       `json:"id"`
	Username string    `json:"username"`
	Email    string    `json:"email"`
	Created  time.Time `json:"created_at"`
}

type session struct {
	user    string
	userID  int // a user deleted and registered again is another user
	expires time.Time
}

// Item is one line of an order.
type Item struct {
	ProductID int     `json:"product_id"`
	Quantity  int     `json:"quantity"`
	UnitPrice float64 `json:"unit_price"`
}

// Order is an order (a cart item creates one too).
type Order struct {
	ID      string    `json:"order_id"`
	User    string    `json:"user"`
	Items   []Item    `json:"items"`
	Total   float64   `json:"total"`
	Status  string    `json:"status"` // pending, paid, cancelled
	Created time.Time `json:"created_at"`
	Updated time.Time `json:"updated_at"`
}

// Payment is a processed payment.
type Payment struct {
	ID      string    `json:"payment_id"`
	OrderID string    `json:"order_id"`
	User    string    `json:"user"`
	Amount  float64   `json:"amount"`
	Method  string    `json:"method"`
	Status  string    `json:"status"`
	Created time.Time `json:"created_at"`
}

// File is an uploaded file's metadata (the content is not kept).
type File struct {
	ID          string    `json:"file_id"`
	User        string    `json:"user"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size"`
	SHA256      string    `json:"sha256"`
	Created     time.Time `json:"created_at"`
}

// Notification is a message to a user.
type Notification struct {
	ID      int       `json:"id"`
	User    string    `json:"user"`
	Message string    `json:"message"`
	Read    bool      `json:"read"`
	Created time.Time `json:"created_at"`
}

// store holds all the service's state behind one lock.
type store struct {
	mu            sync.Mutex
	ttl           time.Duration
	users         *bounded[*User] // by username
	usersByID     map[int]string  // id → username (entries follow users)
	tokens        *bounded[session]
	orders        *bounded[*Order]
	payments      *bounded[*Payment]
	files         *bounded[*File]
	notifications *bounded[*Notification]
	seq           struct{ user, order, payment, file, notification, report, batch int }
	cacheClears   int
	// userOrders and userNotes list each user's order and notification
	// ids, oldest first, so listing them does not scan the store.
	userOrders, userNotes userIndex
	// revenue and paid add up the payments kept, for the dashboard.
	revenue float64
	paid    int
}

// userIndex lists ids per user, oldest first.
type userIndex map[string][]string

func (x userIndex) add(user, id string) { x[user] = append(x[user], id) }

// remove drops id from user's list; ids usually go oldest first, so the
// search starts at the front.
func (x userIndex) remove(user, id string) {
	ids := x[user]
	for i, v := range ids {
		if v == id {
			ids = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
	if len(ids) == 0 {
		delete(x, user)
		return
	}
	x[user] = ids
}

func newStore(ttl time.Duration, now time.Time) *store {
	st := &store{
		ttl:           ttl,
		users:         newBounded[*User](maxUsers),
		usersByID:     map[int]string{},
		tokens:        newBounded[session](maxTokens),
		orders:        newBounded[*Order](maxOrders),
		payments:      newBounded[*Payment](maxPayments),
		files:         newBounded[*File](maxFiles),
		notifications: newBounded[*Notification](maxNotifications),
	}
	st.userOrders, st.userNotes = userIndex{}, userIndex{}
	st.users.onEvict = func(u *User) { delete(st.usersByID, u.ID) }
	st.orders.onEvict = func(o *Order) { st.userOrders.remove(o.User, o.ID) }
	st.notifications.onEvict = func(n *Notification) { st.userNotes.remove(n.User, strconv.Itoa(n.ID)) }
	st.payments.onEvict = func(p *Payment) { st.revenue -= p.Amount; st.paid-- }
	for i := 1; i <= SeedUsers; i++ {
		name := "user" + strconv.Itoa(i)
		st.addUserLocked(name, name+"@example.com", now)
	}
	return st
}

// addUserLocked registers a user; st.mu must be held (or st unshared).
func (st *store) addUserLocked(name, email string, now time.Time) *User {
	st.seq.user++
	u := &User{ID: st.seq.user, Username: name, Email: email, Created: now}
	st.users.put(name, u)
	st.usersByID[u.ID] = name
	return u
}

// login returns a new token for name and a copy of the user, registering
// the user if unknown.
func (st *store) login(name string, now time.Time) (token string, u User) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.users.get(name)
	if !ok {
		p = st.addUserLocked(name, name+"@example.com", now)
	}
	token = fmt.Sprintf("fake-jwt-token-%s-%d-%s", tokenSafe(name), now.Unix(), randomHex(12))
	st.tokens.put(token, session{user: name, userID: p.ID, expires: now.Add(st.ttl)})
	return token, *p
}

// tokenState is the outcome of a token lookup.
type tokenState int

const (
	tokenOK tokenState = iota
	tokenUnknown
	tokenExpired
)

// session returns a copy of the user of a valid token.
func (st *store) session(token string, now time.Time) (*User, tokenState) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.tokens.get(token)
	if !ok {
		return nil, tokenUnknown
	}
	if !now.Before(s.expires) {
		st.tokens.del(token)
		return nil, tokenExpired
	}
	u, ok := st.users.get(s.user)
	if !ok || u.ID != s.userID { // the account was deleted
		st.tokens.del(token)
		return nil, tokenUnknown
	}
	cp := *u
	return &cp, tokenOK
}

func (st *store) logout(token string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.tokens.del(token)
}

// addOrderLocked stores a new order; st.mu must be held.
func (st *store) addOrderLocked(o *Order) {
	st.orders.put(o.ID, o)
	st.userOrders.add(o.User, o.ID)
}

// deleteOrderLocked forgets an order; st.mu must be held.
func (st *store) deleteOrderLocked(o *Order) {
	st.orders.del(o.ID)
	st.userOrders.remove(o.User, o.ID)
}

// ordersOfLocked copies user's orders, oldest first; st.mu must be held.
func (st *store) ordersOfLocked(user string) []Order {
	list := []Order{}
	for _, id := range st.userOrders[user] {
		if o, ok := st.orders.get(id); ok {
			list = append(list, *o)
		}
	}
	return list
}

// addPaymentLocked stores a payment; st.mu must be held.
func (st *store) addPaymentLocked(p *Payment) {
	st.payments.put(p.ID, p)
	st.revenue += p.Amount
	st.paid++
}

// addNotificationLocked stores a notification; st.mu must be held.
func (st *store) addNotificationLocked(n *Notification) {
	id := strconv.Itoa(n.ID)
	st.notifications.put(id, n)
	st.userNotes.add(n.User, id)
}

// notificationsOfLocked copies user's notifications; st.mu must be held.
func (st *store) notificationsOfLocked(user string) []Notification {
	list := []Notification{}
	for _, id := range st.userNotes[user] {
		if n, ok := st.notifications.get(id); ok {
			list = append(list, *n)
		}
	}
	return list
}

// randomHex returns 2n random hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

// Product is an entry of the fixed catalog.
type Product struct {
	ID       int     `json:"id"`
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Price    float64 `json:"price"`
	Stock    int     `json:"stock"`
}

// Products is the size of the product catalog (ids 1 … 50).
const Products = 50

var (
	categories   = []string{"electronics", "books", "clothing", "home", "sports"}
	productNouns = []string{"Laptop", "Novel", "Jacket", "Lamp", "Ball", "Phone", "Cookbook", "Sneakers", "Chair", "Racket"}
	catalog      = makeCatalog()
)

// makeCatalog builds the fixed 50-product catalog.
func makeCatalog() []Product {
	ps := make([]Product, Products)
	for i := range ps {
		id := i + 1
		ps[i] = Product{
			ID:       id,
			Name:     fmt.Sprintf("%s %d", productNouns[i%len(productNouns)], id),
			Category: categories[i%len(categories)],
			Price:    float64(5+(id*37)%495) + 0.99,
			Stock:    (id * 13) % 200,
		}
	}
	return ps
}

// product returns the product with id, if any.
func product(id int) (Product, bool) {
	if id < 1 || id > len(catalog) {
		return Product{}, false
	}
	return catalog[id-1], true
}
