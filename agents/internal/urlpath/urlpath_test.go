package urlpath

import "testing"

func TestPath(t *testing.T) {
	for ref, want := range map[string]string{
		"":                              "",
		"/api/cart":                     "/api/cart",
		"api/cart/":                     "api/cart/",
		"/api/products?page=2#top":      "/api/products",
		"/a#f?x":                        "/a",
		"https://shop.example/api/cart": "/api/cart",
		"http://h:8080/v1/x/?q=1":       "/v1/x/",
		"https://shop.example":          "/",
		"https://shop.example?x=1":      "/",
		" /a ":                          " /a ",
	} {
		if got := Path(ref); got != want {
			t.Errorf("Path(%q) = %q, want %q", ref, got, want)
		}
	}
}
