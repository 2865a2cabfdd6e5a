package groovy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzTranslate checks that Translate never panics and that what it
// returns is well-formed Groovy as far as a cheap lexer can tell: plain
// ASCII, single-quoted strings that end and hold only valid escapes, and
// balanced brackets outside them.
func FuzzTranslate(f *testing.F) {
	for _, c := range handCases {
		f.Add(c)
	}
	for _, c := range []string{``, `(`, `"`, `'`, `json.a[`, `a ?? b ?? c`, `json?.[1]?.b`, `"\u00e9" + "\\" + "'"`,
		`body matches "[" `, `body matches "\\x{110000}"`, `let x = 1; x`, `[1, [2, [3]]] == json`, `{}`, `#`, `.5 ** -.5`} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, src string) {
		code, err := Translate(src)
		if err != nil {
			if code != "" {
				t.Fatalf("Translate(%q) returned code with error %v", src, err)
			}
			return
		}
		if err := lexGroovy(code); err != nil {
			t.Fatalf("Translate(%q) = %s: %v", src, code, err)
		}
		if _, err := Script([]string{src}); err != nil {
			if errors.Is(err, ErrUnsupported) {
				t.Fatalf("Script refused %q that Translate accepted: %v", src, err)
			}
			t.Fatalf("Script(%q): %v", src, err)
		}
	})
}

// lexGroovy checks generated Groovy code lexically.
func lexGroovy(code string) error {
	var stack []byte
	pairs := map[byte]byte{')': '(', ']': '[', '}': '{'}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c < 0x20 || c >= 0x7f {
			return fmt.Errorf("byte %#x at %d is not printable ASCII", c, i)
		}
		switch c {
		case '"', '$':
			return fmt.Errorf("%q at %d outside a single-quoted string", c, i)
		case '(', '[', '{':
			stack = append(stack, c)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[c] {
				return fmt.Errorf("unbalanced %q at %d", c, i)
			}
			stack = stack[:len(stack)-1]
		case '\'':
			j, err := endOfString(code, i)
			if err != nil {
				return err
			}
			i = j
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed %q", stack)
	}
	return nil
}

// endOfString returns the index of the quote closing the single-quoted
// string that starts at i.
func endOfString(code string, i int) (int, error) {
	for j := i + 1; j < len(code); j++ {
		switch code[j] {
		case '\'':
			return j, nil
		case '\\':
			if j+1 >= len(code) {
				return 0, fmt.Errorf("escape at the end")
			}
			switch e := code[j+1]; e {
			case '\\', '\'', 'n', 'r', 't', 'b', 'f':
				j++
			case 'u':
				if j+6 > len(code) || strings.Trim(code[j+2:j+6], "0123456789abcdef") != "" {
					return 0, fmt.Errorf("bad \\u escape at %d", j)
				}
				j += 5
			default:
				return 0, fmt.Errorf("bad escape \\%c at %d", e, j)
			}
		}
	}
	return 0, fmt.Errorf("string at %d does not end", i)
}
