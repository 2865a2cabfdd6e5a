package groovy

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/planspec"
)

// exprGen generates random check expressions over the test samples'
// vocabulary; most do not compile and are thrown away.
type exprGen struct{ r *rand.Rand }

var genAtoms = []string{
	`status`, `body`, `json`, `duration`, `size`, `headers`,
	`json.items`, `json.count`, `json.name`, `json.nul`, `json.missing`, `json.obj`, `json.obj.a`, `json.data`,
	`json.data[0].id`, `json.items[0]`, `json.items[-1]`, `json.price`, `json.s`, `json.ok`, `json.empty`, `json.neg`,
	`json.q`, `json.big`, `json.zero`, `json[0]`, `json[1]`, `json.k`, `json?.obj?.a`, `json?.missing`,
	`headers["Content-Type"]`, `headers.Missing`, `headers["X-Multi"]`, `vars.user`, `vars.nobody`, `vars.id`,
	`0`, `1`, `2`, `3`, `-1`, `200`, `404`, `1000`, `0.5`, `19.99`, `3.0`, `1e3`, `-0.0`,
	`""`, `"bob"`, `"ok"`, `"3"`, `"x"`, `"h\u00e9"`, `"$x"`, `"it's"`, `"a\\b"`, `nil`, `true`, `false`,
	`[1, 2, 3]`, `["bob", "x"]`, `[]`, `[nil]`, `[3.0, "3"]`,
}

var (
	genBinary = []string{"==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "**", "and", "or", "&&", "||",
		"in", "not in", "contains", "startsWith", "endsWith", "??", "in"}
	genPatterns = []string{`"[0-9]+"`, `"^ok"`, `"(?i)BOB"`, `"o$"`, `"."`, `"\\d"`, `"^$"`, `"(?m)^l"`, `"\\bx"`, `"[^a-z ]"`}
)

func (g *exprGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *exprGen) expr(depth int) string {
	if depth <= 0 || g.r.IntN(4) == 0 {
		return g.pick(genAtoms)
	}
	sub := func() string { return "(" + g.expr(depth-1) + ")" }
	switch g.r.IntN(10) {
	case 0:
		return g.pick([]string{"not ", "!", "-", "+"}) + sub()
	case 1:
		return sub() + " ? " + sub() + " : " + sub()
	case 2:
		return "len(" + g.expr(depth-1) + ")"
	case 3:
		return sub() + " matches " + g.pick(genPatterns)
	case 4:
		return sub() + " in " + g.pick([]string{"1..5", "0..200", "200..299", "-1..1"})
	case 5:
		return sub() + "[" + g.pick([]string{"0", "1", "-1", "json.count", "\"a\"", "0:1", "1:", ":2", "-2:"}) + "]"
	case 6:
		return sub() + g.pick([]string{".a", "?.a", ".id", "?.[0]", "?.items"})
	default:
		return sub() + " " + g.pick(genBinary) + " " + sub()
	}
}

// randomCases returns n distinct generated expressions that compile in
// loadgen and translate; the same ones on every run.
func randomCases(t *testing.T, n int) []string {
	t.Helper()
	g := &exprGen{r: rand.New(rand.NewPCG(1, 2))}
	seen := map[string]bool{}
	for _, c := range handCases {
		seen[c] = true
	}
	var out []string
	for tries := 0; len(out) < n && tries < 200000; tries++ {
		src := g.expr(1 + g.r.IntN(3))
		if seen[src] || strings.Contains(src, "..") && !strings.Contains(src, " in ") {
			continue
		}
		seen[src] = true
		if _, err := planspec.CompileCheck(src); err != nil {
			continue
		}
		if _, err := Translate(src); err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Translate(%q): %v", src, err)
			}
			continue
		}
		out = append(out, src)
	}
	if len(out) < n {
		t.Fatalf("generated only %d of %d expressions", len(out), n)
	}
	return out
}
