package arch

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
)

// schemeInfo is a named security scheme of the specs.
type schemeInfo struct {
	name string
	s    *openapi3.SecurityScheme
}

// chooseAuth picks the login among the candidates (public first, then
// paths naming login or sign-in, then the shortest path) and how later
// requests carry its token: the scheme the other endpoints use most.
func chooseAuth(logins []loginCandidate, endpoints []Endpoint, schemes map[string]*schemeInfo) *Auth {
	if len(logins) == 0 {
		return nil
	}
	rank := func(c loginCandidate) []int {
		public, named := 1, 1
		if len(c.endpoint.Security) == 0 {
			public = 0
		}
		if p := strings.ToLower(c.endpoint.Path); strings.Contains(p, "login") || strings.Contains(p, "signin") || strings.Contains(p, "sign-in") {
			named = 0
		}
		return []int{public, named, len(c.endpoint.Path)}
	}
	best := slices.MinFunc(logins, func(a, b loginCandidate) int {
		if c := slices.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		return compareEndpoints(a.endpoint, b.endpoint)
	})
	a := &Auth{Method: best.endpoint.Method, Path: best.endpoint.Path, TokenPath: best.tokenPath, Header: "Authorization", Prefix: "Bearer "}
	if b := best.endpoint.RequestBody; b != nil {
		a.ContentType, a.Body = b.ContentType, b.Example
	}
	// The scheme most used by the other endpoints that a token can satisfy.
	uses := map[string]int{}
	for _, e := range endpoints {
		if e.Method == best.endpoint.Method && e.Path == best.endpoint.Path {
			continue
		}
		for _, name := range e.Security {
			if info := schemes[name]; info != nil && tokenScheme(info.s) {
				uses[name]++
			}
		}
	}
	chosen := ""
	for _, name := range slices.Sorted(maps.Keys(uses)) {
		if chosen == "" || uses[name] > uses[chosen] {
			chosen = name
		}
	}
	if chosen != "" {
		a.Scheme = chosen
		if s := schemes[chosen].s; s.Type == "apiKey" {
			a.Prefix = ""
			a.Header = s.Name
		}
	}
	return a
}

// tokenScheme reports whether a login's token can satisfy the scheme: a
// bearer, an API key in a header, OAuth2 or OpenID Connect.
func tokenScheme(s *openapi3.SecurityScheme) bool {
	switch s.Type {
	case "http":
		return strings.EqualFold(s.Scheme, "bearer")
	case "apiKey":
		return s.In == "header" && s.Name != ""
	case "oauth2", "openIdConnect":
		return true
	}
	return false
}

// securityScheme describes a scheme and how a load test gets its
// credential.
func securityScheme(info *schemeInfo, auth *Auth) SecurityScheme {
	s := info.s
	out := SecurityScheme{Name: info.name, Type: s.Type}
	env := envName(info.name)
	login := ""
	if auth != nil && (auth.Scheme == info.name || (auth.Scheme == "" && s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"))) {
		login = fmt.Sprintf("Log in with %s %s (the body of auth.body), read the token at %s in the response", auth.Method, auth.Path, auth.TokenPath)
	}
	switch s.Type {
	case "http":
		out.Scheme = strings.ToLower(s.Scheme)
		switch out.Scheme {
		case "bearer":
			if login != "" {
				out.HowToObtain = login + " and send it as `Authorization: Bearer <token>`."
			} else {
				out.HowToObtain = fmt.Sprintf("No operation of the documents issues this token: obtain one out of band, give it to the test in an environment variable such as %s_TOKEN and send it as `Authorization: Bearer <token>`.", env)
			}
		case "basic":
			out.HowToObtain = fmt.Sprintf("Send a test account's credentials as `Authorization: Basic base64(user:password)`, from environment variables such as %s_USER and %s_PASSWORD.", env, env)
		default:
			out.HowToObtain = fmt.Sprintf("HTTP %q authentication: send `Authorization: %s <credentials>` with credentials from an environment variable such as %s_CREDENTIALS.", s.Scheme, s.Scheme, env)
		}
	case "apiKey":
		out.In, out.Param = s.In, s.Name
		if login != "" {
			out.HowToObtain = fmt.Sprintf("%s and send it as the %s %q.", login, s.In, s.Name)
		} else {
			out.HowToObtain = fmt.Sprintf("Send the API key as the %s %q, from an environment variable such as %s_API_KEY.", s.In, s.Name, env)
		}
	case "oauth2":
		out.HowToObtain = oauth2HowTo(s.Flows, env)
	case "openIdConnect":
		out.HowToObtain = fmt.Sprintf("Discover the token endpoint from %s (OpenID Connect), obtain an access token (e.g. with the client credentials grant, client id and secret from environment variables %s_CLIENT_ID and %s_CLIENT_SECRET) and send it as `Authorization: Bearer <token>`.", s.OpenIdConnectUrl, env, env)
	case "mutualTLS":
		out.HowToObtain = "Give the test a client certificate and key (mutual TLS)."
	default:
		out.HowToObtain = fmt.Sprintf("Unknown security scheme type %q: configure the credential by hand.", s.Type)
	}
	if out.Type == "" {
		out.Type = "unknown"
	}
	return out
}

// oauth2HowTo describes the easiest OAuth2 flow for a load test.
func oauth2HowTo(f *openapi3.OAuthFlows, env string) string {
	bearer := "send the access_token as `Authorization: Bearer <token>`."
	switch {
	case f != nil && f.ClientCredentials != nil:
		return fmt.Sprintf("Request a token from %s with grant_type=client_credentials and the client id and secret (environment variables %s_CLIENT_ID and %s_CLIENT_SECRET); %s", f.ClientCredentials.TokenURL, env, env, bearer)
	case f != nil && f.Password != nil:
		return fmt.Sprintf("Request a token from %s with grant_type=password, a test user's username and password and the client id (environment variables %s_USERNAME, %s_PASSWORD, %s_CLIENT_ID); %s", f.Password.TokenURL, env, env, env, bearer)
	case f != nil && f.AuthorizationCode != nil:
		return fmt.Sprintf("Interactive OAuth2 flow (authorization code at %s): obtain an access token out of band, give it to the test in %s_TOKEN and %s", f.AuthorizationCode.AuthorizationURL, env, bearer)
	case f != nil && f.Implicit != nil:
		return fmt.Sprintf("Interactive OAuth2 flow (implicit at %s): obtain an access token out of band, give it to the test in %s_TOKEN and %s", f.Implicit.AuthorizationURL, env, bearer)
	}
	return fmt.Sprintf("OAuth2 without flows: obtain an access token out of band, give it to the test in %s_TOKEN and %s", env, bearer)
}

// envName turns a scheme name into an environment variable prefix:
// "bearerAuth" → "BEARER_AUTH".
func envName(name string) string {
	var b strings.Builder
	var prev rune
	for i, r := range name {
		switch {
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(prev) || unicode.IsDigit(prev)):
			b.WriteByte('_')
			b.WriteRune(r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToUpper(r))
		default:
			if prev != '_' && b.Len() > 0 {
				b.WriteByte('_')
				r = '_'
			}
		}
		prev = r
	}
	s := strings.Trim(strings.ToUpper(b.String()), "_")
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "API_" + s
	}
	return strings.TrimSuffix(s, "_")
}
