package arch

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

// maxSpecWarnings bounds the validation warnings reported per document.
const maxSpecWarnings = 20

// specResult is what one OpenAPI or Swagger document contributes.
type specResult struct {
	title     string
	servers   []string
	endpoints []Endpoint
	schemes   map[string]*openapi3.SecurityScheme
	logins    []loginCandidate
	warnings  []string
}

// loginCandidate is an operation that issues a token.
type loginCandidate struct {
	endpoint  Endpoint
	tokenPath string
}

// parseSpec loads an OpenAPI 3.x (swagger false) or Swagger 2.0 document
// with kin-openapi, external $refs refused, and extracts its endpoints,
// security schemes, servers and login operations. A document that cannot
// be loaded is an error; validation problems are warnings, positioned by
// JSON pointer and line. A panic inside the parser is turned into an
// error: the input is untrusted.
func parseSpec(ctx context.Context, d *document, swagger bool) (res *specResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("internal error while parsing the document: %v", r)
		}
	}()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	loader.Context = ctx
	location := &url.URL{Path: d.name}
	res = &specResult{}
	var doc *openapi3.T
	if swagger {
		var doc2 openapi2.T
		if err := openapi2.UnmarshalFromData(d.data, &doc2); err != nil {
			return nil, loadError(d, "invalid Swagger 2.0 document", err)
		}
		if doc2.Swagger != "2.0" {
			return nil, fmt.Errorf("unsupported Swagger version %q (only 2.0)", doc2.Swagger)
		}
		doc, err = openapi2conv.ToV3WithLoader(&doc2, loader, location)
		if err != nil {
			return nil, loadError(d, "cannot convert the Swagger 2.0 document to OpenAPI 3", err)
		}
	} else {
		doc, err = loader.LoadFromDataWithPath(d.data, location)
		if err != nil {
			return nil, loadError(d, "cannot load the OpenAPI document", err)
		}
		if !strings.HasPrefix(doc.OpenAPI, "3.") {
			return nil, fmt.Errorf("unsupported OpenAPI version %q (3.x is read here; Swagger 2.0 documents say `swagger: \"2.0\"`)", doc.OpenAPI)
		}
	}
	if verr := doc.Validate(ctx, openapi3.EnableMultiError()); verr != nil {
		res.warnings = specWarnings(d, verr, swagger)
	}
	extractSpec(d.name, doc, res)
	return res, nil
}

var (
	// quotedRefRe finds the $ref a loader error names.
	quotedRefRe = regexp.MustCompile(`(?:reference|URI): "([^"]+)"`)
	// errLineRe finds the line a YAML decoding error names.
	errLineRe = regexp.MustCompile(`\bline (\d+)\b`)
)

// loadError positions a kin-openapi loading error: at the $ref it names
// (line:col and JSON pointer), or at the line its YAML error names.
func loadError(d *document, what string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "failed to unmarshal data: ")
	if m := quotedRefRe.FindStringSubmatch(msg); m != nil {
		if tokens, n := findRef(d.root, m[1]); n != nil {
			return &positionedError{fmt.Sprintf("%s:%d:%d", d.name, n.Line, n.Column),
				fmt.Sprintf("%s: $ref at %s: %s", what, pointerString(tokens), msg)}
		}
	}
	if m := errLineRe.FindStringSubmatch(msg); m != nil {
		return &positionedError{d.name + ":" + m[1], what + ": " + msg}
	}
	return &positionedError{d.name, what + ": " + msg}
}

// positionedError is a document error with its position ("name:line:col").
type positionedError struct {
	pos, msg string
}

func (e *positionedError) Error() string { return e.pos + ": " + e.msg }

// findRef finds the first "$ref: value" in document order and returns its
// JSON pointer (of the object holding it) and the value's node.
func findRef(root *yaml.Node, value string) ([]string, *yaml.Node) {
	var walk func(n *yaml.Node, path []string, depth int) ([]string, *yaml.Node)
	walk = func(n *yaml.Node, path []string, depth int) ([]string, *yaml.Node) {
		if n == nil || depth > 200 {
			return nil, nil
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if p, f := walk(c, path, depth+1); f != nil {
					return p, f
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode && v.Value == value {
					return slices.Clone(path), v
				}
				if p, f := walk(v, append(path, k.Value), depth+1); f != nil {
					return p, f
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if p, f := walk(c, append(path, strconv.Itoa(i)), depth+1); f != nil {
					return p, f
				}
			}
		}
		return nil, nil
	}
	return walk(root, nil, 0)
}

// specWarnings turns validation errors into "name:line:col: #/pointer:
// message" warnings.
func specWarnings(d *document, err error, swagger bool) []string {
	var errs []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		errs = me
	} else {
		errs = []error{err}
	}
	var out []string
	for i, e := range errs {
		if i == maxSpecWarnings {
			out = append(out, fmt.Sprintf("%s: %d more validation problems not shown", d.name, len(errs)-i))
			break
		}
		tokens, leaf := errorPointer(e, d.root)
		if swagger {
			tokens = swaggerPointer(tokens)
		}
		msg := strings.TrimSpace(leaf.Error())
		if swagger {
			msg += " (in the OpenAPI 3 conversion)"
		}
		out = append(out, fmt.Sprintf("%s: invalid spec at %s: %s", positionOf(d, tokens), pointerString(tokens), msg))
	}
	return out
}

// positionOf is "name:line:col" of the deepest node the pointer reaches
// in the document, or "name" without a parsed tree.
func positionOf(d *document, tokens []string) string {
	if n := positionNode(d.root, tokens); n != nil {
		return fmt.Sprintf("%s:%d:%d", d.name, n.Line, n.Column)
	}
	return d.name
}

// componentSections maps kin-openapi's component labels to the keys of
// the components object.
var componentSections = map[string]string{
	"schema": "schemas", "parameter": "parameters", "request body": "requestBodies",
	"response": "responses", "header": "headers", "security scheme": "securitySchemes",
	"example": "examples", "link": "links", "callback": "callbacks",
}

// errorPointer follows kin-openapi's context wrappers down an error chain
// and returns the JSON pointer tokens they name and the error below them.
func errorPointer(err error, root *yaml.Node) ([]string, error) {
	var tokens []string
	for {
		switch e := err.(type) {
		case *openapi3.SectionValidationError:
			tokens, err = append(tokens, e.Section), e.Cause
		case *openapi3.PathValidationError:
			tokens, err = append(tokens, e.Path), e.Cause
		case *openapi3.OperationValidationError:
			tokens, err = append(tokens, strings.ToLower(e.Method)), e.Cause
		case *openapi3.ComponentValidationError:
			section := componentSections[e.Section]
			if section == "" {
				section = e.Section
			}
			tokens, err = append(tokens, section, e.Name), e.Cause
		case *openapi3.ParameterFieldValidationError:
			tokens = append(tokens, "parameters")
			if idx := namedItem(nodeAt(root, tokens), e.ParameterName); idx >= 0 {
				tokens = append(tokens, strconv.Itoa(idx))
			}
			tokens, err = append(tokens, e.Field), e.Cause
		case *openapi3.HeaderFieldValidationError:
			tokens, err = append(tokens, e.Field), e.Cause
		case *openapi3.MediaTypeExampleValidationError:
			tokens, err = append(tokens, "examples", e.ExampleName), e.Cause
		case *openapi3.SchemaCombinatorElementValidationError:
			tokens, err = append(tokens, e.Combinator), e.Cause
		case *openapi3.TagValidationError:
			tokens = append(tokens, "tags")
			if idx := namedItem(nodeAt(root, tokens), e.Name); idx >= 0 {
				tokens = append(tokens, strconv.Itoa(idx))
			}
			err = e.Cause
		case *openapi3.WebhookValidationError:
			tokens, err = append(tokens, "webhooks", e.Name), e.Cause
		default:
			return tokens, err
		}
		if err == nil {
			return tokens, errors.New("invalid")
		}
	}
}

// swaggerPointer maps a pointer into the OpenAPI 3 conversion back to the
// Swagger 2.0 document where the layouts differ.
func swaggerPointer(tokens []string) []string {
	if len(tokens) >= 2 && tokens[0] == "components" {
		switch tokens[1] {
		case "schemas":
			return append([]string{"definitions"}, tokens[2:]...)
		case "securitySchemes":
			return append([]string{"securityDefinitions"}, tokens[2:]...)
		case "parameters", "responses":
			return tokens[1:]
		}
	}
	return tokens
}

// pointerString formats tokens as a JSON pointer fragment ("#/paths/~1x").
func pointerString(tokens []string) string {
	var b strings.Builder
	b.WriteString("#")
	for _, t := range tokens {
		b.WriteString("/")
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// nodeAt follows pointer tokens from the document root as far as they
// go and returns the deepest node reached; nil without a tree.
func nodeAt(root *yaml.Node, tokens []string) *yaml.Node {
	n, _ := locate(root, tokens)
	return n
}

// positionNode is the node whose position reports the pointer: the key of
// the deepest mapping entry reached ("get:" rather than its first line),
// or the sequence item.
func positionNode(root *yaml.Node, tokens []string) *yaml.Node {
	n, key := locate(root, tokens)
	if key != nil {
		return key
	}
	return n
}

// locate follows pointer tokens as far as they go and returns the node
// reached and, when the last step was a mapping key, that key's node.
func locate(root *yaml.Node, tokens []string) (n, key *yaml.Node) {
	n = root
	if n == nil {
		return nil, nil
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return n, nil
		}
		n = n.Content[0]
	}
	for _, t := range tokens {
		k, next := child(n, t)
		if next == nil {
			break
		}
		n, key = next, k
	}
	return n, key
}

// child returns a mapping's key and value for key, or a sequence's item at
// index (with a nil key).
func child(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i], n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Content) {
			return nil, n.Content[i]
		}
	}
	return nil, nil
}

// namedItem is the index of the sequence item whose "name" is name, or -1.
func namedItem(seq *yaml.Node, name string) int {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return -1
	}
	for i, item := range seq.Content {
		if _, v := child(item, "name"); v != nil && v.Value == name {
			return i
		}
	}
	return -1
}

// extractSpec fills res from a loaded document.
func extractSpec(name string, doc *openapi3.T, res *specResult) {
	if doc.Info != nil {
		res.title = strings.TrimSpace(doc.Info.Title)
	}
	for _, s := range doc.Servers {
		if s != nil && strings.TrimSpace(s.URL) != "" {
			res.servers = append(res.servers, serverURL(s))
		}
	}
	if doc.Components != nil {
		res.schemes = map[string]*openapi3.SecurityScheme{}
		for k, ref := range doc.Components.SecuritySchemes {
			if ref != nil && ref.Value != nil {
				res.schemes[k] = ref.Value
			}
		}
	}
	if doc.Paths == nil {
		return
	}
	paths := doc.Paths.Keys()
	slices.Sort(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		if item == nil {
			continue
		}
		if !strings.HasPrefix(path, "/") {
			res.warnings = append(res.warnings, fmt.Sprintf("%s: path %q does not start with /: skipped", name, path))
			continue
		}
		ops := item.Operations()
		methods := make([]string, 0, len(ops))
		for m := range ops {
			methods = append(methods, m)
		}
		slices.SortFunc(methods, func(a, b string) int { return strings.Compare(strings.ToUpper(a), strings.ToUpper(b)) })
		for _, method := range methods {
			op := ops[method]
			if op == nil {
				continue
			}
			m := strings.ToUpper(method)
			if !slices.Contains(Methods, m) {
				res.warnings = append(res.warnings, fmt.Sprintf("%s: %s %s: method not supported by load tests: skipped", name, method, path))
				continue
			}
			e := endpointOf(name, doc, path, m, item, op)
			res.endpoints = append(res.endpoints, e)
			if tp := loginTokenPath(path, m, op); tp != "" {
				res.logins = append(res.logins, loginCandidate{endpoint: e, tokenPath: tp})
			}
		}
	}
}

// serverURL is a server's URL with its variables set to their defaults.
func serverURL(s *openapi3.Server) string {
	u := strings.TrimSpace(s.URL)
	for _, k := range slices.Sorted(maps.Keys(s.Variables)) {
		if v := s.Variables[k]; v != nil {
			u = strings.ReplaceAll(u, "{"+k+"}", v.Default)
		}
	}
	return u
}

// endpointOf builds one Endpoint.
func endpointOf(name string, doc *openapi3.T, path, method string, item *openapi3.PathItem, op *openapi3.Operation) Endpoint {
	e := Endpoint{
		Method:      method,
		Path:        path,
		OperationID: op.OperationID,
		Summary:     strings.TrimSpace(op.Summary),
		Tags:        slices.Clone(op.Tags),
		Source:      name + pointerString([]string{"paths", path, strings.ToLower(method)}),
	}
	if e.Summary == "" {
		e.Summary = firstLine(op.Description)
	}
	// Path-level parameters first, unless the operation overrides them.
	overridden := map[string]bool{}
	for _, p := range op.Parameters {
		if p != nil && p.Value != nil {
			overridden[p.Value.In+"\x00"+p.Value.Name] = true
		}
	}
	for i, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, p := range list {
			if p == nil || p.Value == nil || p.Value.Name == "" {
				continue
			}
			pv := p.Value
			if i == 0 && overridden[pv.In+"\x00"+pv.Name] {
				continue
			}
			if !slices.Contains([]string{"path", "query", "header", "cookie"}, pv.In) {
				continue
			}
			ex, typ := parameterExample(pv)
			e.Parameters = append(e.Parameters, Parameter{
				Name: pv.Name, In: pv.In, Required: pv.Required || pv.In == "path", Type: typ, Example: ex,
			})
		}
	}
	if op.RequestBody != nil {
		e.RequestBody = requestBody(op.RequestBody.Value)
	}
	if op.Responses != nil {
		for _, k := range op.Responses.Keys() {
			if code, err := strconv.Atoi(k); err == nil && code >= 100 && code <= 599 {
				e.Responses = append(e.Responses, code)
			}
		}
		slices.Sort(e.Responses)
		e.Responses = slices.Compact(e.Responses)
	}
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	for _, req := range reqs {
		for k := range req {
			e.Security = append(e.Security, k)
		}
	}
	slices.Sort(e.Security)
	e.Security = slices.Compact(e.Security)
	return e
}

// firstLine is the first non-empty line of s, at most 200 bytes.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return truncate(l, 200)
		}
	}
	return ""
}

// loginPathRe matches paths of operations that may issue tokens.
var loginPathRe = regexp.MustCompile(`(?i)(log-?in|sign-?in|auth|token|session)`)

// tokenNames ranks the property names that hold a token (lower case,
// without _ and -), best first.
var tokenNames = []string{"accesstoken", "token", "jwt", "authtoken", "idtoken", "sessiontoken"}

// loginTokenPath returns the JSONPath of the token a login operation
// returns ("$.token", "$.data.access_token"), or "" when the operation is
// not a POST on a login-like path whose 2xx JSON response has a token
// property.
func loginTokenPath(path, method string, op *openapi3.Operation) string {
	if method != "POST" || !loginPathRe.MatchString(path) || op.Responses == nil {
		return ""
	}
	keys := op.Responses.Keys()
	slices.Sort(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, "2") {
			continue
		}
		r := op.Responses.Value(k)
		if r == nil || r.Value == nil {
			continue
		}
		for _, ct := range slices.Sorted(maps.Keys(r.Value.Content)) {
			base := strings.ToLower(strings.Split(ct, ";")[0])
			if !strings.Contains(base, "json") {
				continue
			}
			if mt := r.Value.Content[ct]; mt != nil && mt.Schema != nil {
				if tp := findTokenPath(mt.Schema.Value); tp != "" {
					return tp
				}
			}
		}
	}
	return ""
}

// findTokenPath searches a response schema breadth-first, three levels
// deep, for a string property named like a token.
func findTokenPath(s *openapi3.Schema) string {
	type item struct {
		s    *openapi3.Schema
		path string
	}
	level := []item{{s, "$"}}
	for depth := 0; depth < 3 && len(level) > 0; depth++ {
		var next []item
		best, bestRank := "", len(tokenNames)
		for _, it := range level {
			props := schemaProperties(it.s)
			for _, k := range slices.Sorted(maps.Keys(props)) {
				p := props[k]
				norm := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k))
				rank := slices.Index(tokenNames, norm)
				typ := schemaType(p)
				if rank >= 0 && rank < bestRank && (typ == "" || typ == openapi3.TypeString) {
					best, bestRank = jsonPathJoin(it.path, k), rank
				}
				if typ == openapi3.TypeObject {
					next = append(next, item{p, jsonPathJoin(it.path, k)})
				}
			}
		}
		if best != "" {
			return best
		}
		level = next
	}
	return ""
}

// schemaProperties collects an object schema's properties, with those of
// its allOf elements and of its first oneOf/anyOf alternative.
func schemaProperties(s *openapi3.Schema) map[string]*openapi3.Schema {
	out := map[string]*openapi3.Schema{}
	var add func(s *openapi3.Schema, depth int)
	add = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 4 {
			return
		}
		for k, p := range s.Properties {
			if p != nil && p.Value != nil {
				if _, ok := out[k]; !ok {
					out[k] = p.Value
				}
			}
		}
		for _, p := range s.AllOf {
			if p != nil {
				add(p.Value, depth+1)
			}
		}
		for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
			if len(alts) > 0 && alts[0] != nil {
				add(alts[0].Value, depth+1)
			}
		}
	}
	add(s, 0)
	return out
}

// identRe matches property names a dotted JSONPath can use.
var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jsonPathJoin appends a property to a JSONPath.
func jsonPathJoin(base, key string) string {
	if identRe.MatchString(key) {
		return base + "." + key
	}
	return base + "['" + strings.ReplaceAll(key, "'", `\'`) + "']"
}
