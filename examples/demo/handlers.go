package demo

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header values shared by every response; net/http never modifies them.
var (
	ctJSON = []string{"application/json"}
	ctText = []string{"text/plain; charset=utf-8"}
	ctPNG  = []string{"image/png"}
)

// maxBody bounds request bodies read by the JSON endpoints.
const maxBody = 1 << 20

// ItemsPerPage is the number of products on every page of /api/products.
const ItemsPerPage = 10

// MaxPage is the highest page /api/products serves; higher pages are 400.
const MaxPage = 1_000_000

var (
	bodyRoot   = []byte("loadgen demo target\n")
	bodyHealth = []byte(`{"status":"ok"}`)
	bodyOK     = []byte(`{"ok":true}`)
	logoPNG    = makeLogo()
)

func writeJSON(w http.ResponseWriter, code int, body []byte) {
	h := w.Header()
	h["Content-Type"] = ctJSON
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(code)
	w.Write(body)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	writeJSON(w, code, b)
}

func (s *server) root(w http.ResponseWriter, _ *http.Request) {
	w.Header()["Content-Type"] = ctText
	w.Write(bodyRoot)
}

func (s *server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, bodyHealth)
}

// pages caches rendered product pages; each page is immutable once built.
var pages sync.Map // int → []byte

// cachedPages bounds the page cache; pages above it are rendered per request.
const cachedPages = 1000

func (s *server) products(w http.ResponseWriter, r *http.Request) {
	page := 1
	if q := r.URL.Query().Get("page"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > MaxPage {
			writeError(w, http.StatusBadRequest, "page must be an integer from 1 to "+strconv.Itoa(MaxPage))
			return
		}
		page = n
	}
	if page > cachedPages {
		writeJSON(w, http.StatusOK, renderPage(page))
		return
	}
	if b, ok := pages.Load(page); ok {
		writeJSON(w, http.StatusOK, b.([]byte))
		return
	}
	b, _ := pages.LoadOrStore(page, renderPage(page))
	writeJSON(w, http.StatusOK, b.([]byte))
}

var productNames = [...]string{"Widget", "Gadget", "Sprocket", "Gizmo", "Doohickey", "Thingamajig", "Whatsit", "Contraption", "Device", "Apparatus"}

// renderPage builds the JSON of one product page. SKUs are consecutive
// across pages: page N holds SKUs 10(N-1)+1 … 10N.
func renderPage(page int) []byte {
	b := make([]byte, 0, 700)
	b = append(b, `{"page":`...)
	b = strconv.AppendInt(b, int64(page), 10)
	b = append(b, `,"items":[`...)
	for i := range ItemsPerPage {
		sku := (page-1)*ItemsPerPage + i + 1
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"sku":`...)
		b = strconv.AppendInt(b, int64(sku), 10)
		b = append(b, `,"name":"`...)
		b = append(b, productNames[sku%len(productNames)]...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(sku), 10)
		b = append(b, `","price":`...)
		b = strconv.AppendFloat(b, float64(sku%50)+9.99, 'f', 2, 64)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// loginRequest is the body of POST /api/auth/login.
type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	if req.User == "" {
		writeError(w, http.StatusBadRequest, `"user" is required`)
		return
	}
	token := randomHex()
	s.tokens.add(token)
	h := w.Header()
	h.Set("Set-Cookie", "sid="+randomHex()+"; Path=/; HttpOnly")
	h.Set("Location", "/api/users/"+url.PathEscape(req.User))
	writeJSON(w, http.StatusOK, []byte(`{"token":"`+token+`"}`))
}

func (s *server) cart(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") || !s.tokens.valid(strings.TrimSpace(token)) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeError(w, http.StatusUnauthorized, "missing or unknown bearer token")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	if len(bytes.TrimSpace(body)) == 0 || !json.Valid(body) {
		writeError(w, http.StatusBadRequest, "body must be JSON")
		return
	}
	writeJSON(w, http.StatusCreated, bodyOK)
}

func (s *server) logo(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h["Content-Type"] = ctPNG
	h.Set("Cache-Control", "public, max-age=3600")
	w.Write(logoPNG)
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 200 || code > 599 {
		writeError(w, http.StatusBadRequest, "status code must be an integer from 200 to 599")
		return
	}
	if code == http.StatusNoContent || code == http.StatusNotModified {
		w.WriteHeader(code)
		return
	}
	writeJSON(w, code, []byte(`{"status":`+strconv.Itoa(code)+`}`))
}

func (s *server) slow(w http.ResponseWriter, r *http.Request) {
	ms := 0
	if q := r.URL.Query().Get("ms"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "ms must be a non-negative integer")
			return
		}
		ms = n
	}
	d := MaxSlow
	if ms < int(MaxSlow/time.Millisecond) {
		d = time.Duration(ms) * time.Millisecond
	}
	if !sleep(r.Context(), d) {
		return
	}
	writeJSON(w, http.StatusOK, []byte(`{"slept_ms":`+strconv.FormatInt(d.Milliseconds(), 10)+`}`))
}

// reset drops the connection without writing a response. On TCP the close
// is abortive (SO_LINGER 0), so the client sees a connection reset.
func (s *server) reset(w http.ResponseWriter, _ *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: resets the stream
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// makeLogo renders the 16×16 PNG served at /static/logo.png.
func makeLogo() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			img.Set(x, y, color.NRGBA{R: uint8(x * 16), G: uint8(y * 16), B: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic("demo: encoding logo: " + err.Error())
	}
	return buf.Bytes()
}
