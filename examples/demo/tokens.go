package demo

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
)

// maxTokens bounds the memory of the token store: once a generation holds
// this many tokens it becomes the previous generation and the one before is
// forgotten, so a token stays valid for at least maxTokens later logins.
const maxTokens = 1 << 20

// tokenStore remembers the tokens issued by POST /api/auth/login. It is safe
// for concurrent use and never blocks readers.
type tokenStore struct {
	limit int64
	gens  atomic.Pointer[tokenGens]
	n     atomic.Int64 // tokens in the current generation
	mu    sync.Mutex   // serializes rotation
}

type tokenGens struct{ cur, prev *sync.Map }

func newTokenStore(limit int64) *tokenStore {
	t := &tokenStore{limit: limit}
	t.gens.Store(&tokenGens{cur: new(sync.Map), prev: new(sync.Map)})
	return t
}

// add records a newly issued token.
func (t *tokenStore) add(token string) {
	g := t.gens.Load()
	g.cur.Store(token, struct{}{})
	if t.n.Add(1) <= t.limit {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n.Load() > t.limit && t.gens.Load() == g {
		t.gens.Store(&tokenGens{cur: new(sync.Map), prev: g.cur})
		t.n.Store(0)
	}
}

// valid reports whether token was issued by this store and not yet forgotten.
func (t *tokenStore) valid(token string) bool {
	if token == "" {
		return false
	}
	g := t.gens.Load()
	if _, ok := g.cur.Load(token); ok {
		return true
	}
	_, ok := g.prev.Load(token)
	return ok
}

// randomHex returns 32 random hex digits (128 bits).
func randomHex() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b[:])
}
