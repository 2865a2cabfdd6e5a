// Package urlpath reduces an endpoint reference of a document or a model
// ("https://shop.example/api/cart?page=2") to its path.
package urlpath

import "strings"

// Path returns ref without its scheme and host when it is an absolute URL
// ("https://h/a" → "/a", "https://h" → "/"), and without its query string
// and fragment. It does not trim spaces or slashes.
func Path(ref string) string {
	if i := strings.Index(ref, "://"); i >= 0 {
		rest := ref[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			ref = rest[j:]
		} else {
			ref = "/"
		}
	}
	if i := strings.IndexAny(ref, "?#"); i >= 0 {
		ref = ref[:i]
	}
	return ref
}
