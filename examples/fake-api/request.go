package fakeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBody bounds JSON request bodies; larger ones get 413.
const MaxBody = 1 << 20

// apiError is an error answer: its status and JSON body.
type apiError struct {
	Status    int    `json:"status"`
	Message   string `json:"error"`
	Parameter string `json:"parameter,omitempty"`
	Min       *int   `json:"min,omitempty"`
	Max       *int   `json:"max,omitempty"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Message) }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// writeJSON writes v as the JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"status":500,"error":"encoding the answer failed"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeError writes an apiError.
func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, e)
}

// body is a decoded JSON object body.
type body map[string]any

// decodeBody reads a JSON object body of at most MaxBody bytes. want names
// the fields expected, for the error messages. A form or other non-JSON
// content type gets 415, a missing or empty body 400, a body that is not a
// JSON object 400, a larger one 413.
func decodeBody(r *http.Request, want string) (body, *apiError) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, errorf(http.StatusUnsupportedMediaType,
				"Content-Type %q is not supported: send a JSON object %s with Content-Type: application/json", ct, want)
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, errorf(http.StatusBadRequest, "missing request body: send a JSON object %s", want)
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "reading the request body: %v", err)
	}
	return parseBody(raw, want)
}

// parseBody parses a JSON object body.
func parseBody(raw []byte, want string) (body, *apiError) {
	if len(raw) > MaxBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", MaxBody)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errorf(http.StatusBadRequest, "empty request body: send a JSON object %s", want)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errorf(http.StatusBadRequest, "request body is not valid JSON (%v): send a JSON object %s", err, want)
	}
	if dec.More() {
		return nil, errorf(http.StatusBadRequest, "request body has data after the JSON object: send one JSON object %s", want)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(http.StatusBadRequest, "request body is a JSON %s: send a JSON object %s", jsonKind(v), want)
	}
	return body(m), nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return "value"
}

// str returns the string field name (first of the names present), trimmed;
// "" when absent. A non-string value is an error.
func (b body) str(names ...string) (string, *apiError) {
	for _, n := range names {
		v, ok := b[n]
		if !ok || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			if num, isNum := v.(json.Number); isNum {
				return num.String(), nil
			}
			return "", &apiError{Status: http.StatusBadRequest, Parameter: n, Message: fmt.Sprintf("%q must be a string", n)}
		}
		return strings.TrimSpace(s), nil
	}
	return "", nil
}

// num returns the number field name, accepting numeric strings (templated
// plan values). ok is false when absent.
func (b body) num(name string) (f float64, ok bool, e *apiError) {
	v, present := b[name]
	if !present || v == nil {
		return 0, false, nil
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, false, &apiError{Status: http.StatusBadRequest, Parameter: name, Message: fmt.Sprintf("%q must be a number", name)}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, &apiError{Status: http.StatusBadRequest, Parameter: name, Message: fmt.Sprintf("%q must be a number, got %q", name, s)}
	}
	return f, true, nil
}

// intIn returns the integer field name within [lo, hi], or def when absent.
func (b body) intIn(name string, lo, hi, def int) (int, *apiError) {
	f, ok, e := b.num(name)
	if e != nil {
		return 0, e
	}
	if !ok {
		return def, nil
	}
	if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, boundsError(name, lo, hi, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return int(f), nil
}

// boundsError is the 400 of a parameter outside [lo, hi].
func boundsError(name string, lo, hi int, got string) *apiError {
	return &apiError{
		Status:    http.StatusBadRequest,
		Parameter: name,
		Min:       &lo,
		Max:       &hi,
		Message:   fmt.Sprintf("%s must be an integer from %d to %d, got %q", name, lo, hi, got),
	}
}

// queryInt reads the query parameter name as an integer in [lo, hi]; def
// when absent or empty.
func queryInt(q url.Values, name string, lo, hi, def int) (int, *apiError) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, boundsError(name, lo, hi, v)
	}
	return n, nil
}

// queryFloat reads the query parameter name as a finite number; ok is
// false when absent.
func queryFloat(q url.Values, name string) (f float64, ok bool, e *apiError) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return 0, false, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, &apiError{Status: http.StatusBadRequest, Parameter: name, Message: fmt.Sprintf("%s must be a number, got %q", name, v)}
	}
	return f, true, nil
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errors.New("missing Authorization header: log in (POST /auth/login) and send Authorization: Bearer <token>")
	}
	scheme, tok, _ := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", errors.New("the Authorization header must be Bearer <token>")
	}
	return tok, nil
}

// validUsername reports whether name is 1 to 64 bytes of valid UTF-8
// without control characters.
func validUsername(name string) bool {
	if name == "" || len(name) > 64 || !utf8.ValidString(name) {
		return false
	}
	for _, c := range name {
		if unicode.IsControl(c) {
			return false
		}
	}
	return true
}

// tokenSafe replaces the characters of name that are not letters, digits,
// '.', '_', '~' or '-' with '_', so a token carrying it stays a plain
// bearer token.
func tokenSafe(name string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '~', c == '-':
			return c
		}
		return '_'
	}, name)
}
