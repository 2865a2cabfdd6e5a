package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// cookieName is the session cookie set by the login form.
const cookieName = "loadgen_ui"

// csrfField is the hidden form field holding the CSRF token.
const csrfField = "csrf"

// cookieValue derives the session cookie from the token, so that the
// cookie never holds the token itself.
func cookieValue(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("loadgen-ui-session/v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// equal compares two secrets in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// authorized reports whether r carries the token or the session cookie.
func (d *Dashboard) authorized(r *http.Request) bool {
	if d.token == "" {
		return true
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		return ok && strings.EqualFold(scheme, "Bearer") && equal(strings.TrimSpace(tok), d.token)
	}
	if c, err := r.Cookie(cookieName); err == nil {
		return equal(c.Value, d.cookie)
	}
	return false
}

// auth requires the token on every path but the login form and the
// static assets.
func (d *Dashboard) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.token == "" || r.URL.Path == "/login" || strings.HasPrefix(r.URL.Path, "/static/") || d.authorized(r) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && r.Header.Get("Authorization") == "" {
			http.Redirect(w, r, d.base+"login?next="+url.QueryEscape(strings.TrimPrefix(r.URL.Path, "/")), http.StatusSeeOther)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="loadgen"`)
		d.fail(w, r, http.StatusUnauthorized, errors.New("log in first"))
	})
}

// csrfToken is the token the forms of r's page carry: bound to the
// caller's session cookie and to this dashboard's random key.
func (d *Dashboard) csrfToken(r *http.Request) string {
	id := "anonymous"
	if c, err := r.Cookie(cookieName); err == nil && d.token != "" && equal(c.Value, d.cookie) {
		id = c.Value
	}
	m := hmac.New(sha256.New, d.csrfKey)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}

// csrf refuses a POST without the page's CSRF token (cross-origin POSTs
// were already refused by http.CrossOriginProtection).
func (d *Dashboard) csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if err := r.ParseMultipartForm(mcpserverMaxForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			d.fail(w, r, http.StatusBadRequest, err)
			return
		}
		if !equal(r.PostFormValue(csrfField), d.csrfToken(r)) {
			d.fail(w, r, http.StatusForbidden, errors.New("missing or stale form token: reload the page and try again"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// mcpserverMaxForm is the memory a multipart form may use; the body is
// bounded before by mcpserver.MaxRequestBytes.
const mcpserverMaxForm = 1 << 20

type loginData struct {
	Next  string
	Error string
}

func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "login", loginData{Next: r.URL.Query().Get("next")})
}

// login sets the session cookie when the token is right.
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	next := localNext(r.PostFormValue("next"))
	if d.token == "" {
		http.Redirect(w, r, d.base+next, http.StatusSeeOther)
		return
	}
	if !equal(r.PostFormValue("token"), d.token) {
		d.render(w, r, http.StatusUnauthorized, "login", loginData{Next: next, Error: "wrong token"})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: d.cookie, Path: d.base, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, d.base+next, http.StatusSeeOther)
}

// logout removes the session cookie.
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: d.base, MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, d.base+"login", http.StatusSeeOther)
}

// localNext keeps a post-login destination inside the dashboard: a path
// relative to its base, without a scheme, host or backslash.
func localNext(next string) string {
	next = strings.TrimLeft(next, "/")
	if strings.ContainsAny(next, "\\:") || strings.Contains(next, "//") {
		return ""
	}
	return next
}
