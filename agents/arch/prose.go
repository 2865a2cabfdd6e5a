package arch

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The offline heuristics read prose with regular expressions only: what
// the documents say is data, never instructions, so text such as "ignore
// previous instructions" cannot change anything but what it literally
// names.

// line is one line of a prose document, Markdown markup removed.
type line struct {
	doc     string
	n       int // 1-based
	text    string
	indent  bool // the raw line starts with white space
	heading bool
	blank   bool
}

// sentence is a sentence of a prose document.
type sentence struct {
	doc  string
	line int
	text string
}

// prepare splits a document into cleaned lines.
func prepare(d *document) []line {
	raw := strings.Split(strings.ReplaceAll(string(d.data), "\r\n", "\n"), "\n")
	out := make([]line, 0, len(raw))
	for i, r := range raw {
		t := strings.TrimSpace(r)
		l := line{doc: d.name, n: i + 1, indent: strings.HasPrefix(r, " ") || strings.HasPrefix(r, "\t")}
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			l.blank = true
			out = append(out, l)
			continue
		}
		if strings.HasPrefix(t, "#") {
			t = strings.TrimSpace(strings.TrimLeft(t, "#"))
			l.heading = true
		}
		for strings.HasPrefix(t, ">") {
			t = strings.TrimSpace(t[1:])
		}
		l.text = cleanInline(t)
		l.blank = l.text == ""
		out = append(out, l)
	}
	return out
}

var (
	mdImageRe = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLinkRe  = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	spaceRe   = regexp.MustCompile(`\s+`)
)

// cleanInline removes inline Markdown: links keep their text, emphasis
// and code markers go.
func cleanInline(s string) string {
	s = mdImageRe.ReplaceAllString(s, "$1")
	s = mdLinkRe.ReplaceAllString(s, "$1")
	s = strings.NewReplacer("**", "", "__", "", "`", "", "<br>", " ").Replace(s)
	return strings.TrimSpace(spaceRe.ReplaceAllString(s, " "))
}

// listItemRe matches a list item's marker.
var listItemRe = regexp.MustCompile(`^(?:[-*+]|\d+[.)])\s+`)

// sentences joins paragraph lines and splits them into sentences;
// headings and list items stand alone.
func sentences(lines []line) []sentence {
	var out []sentence
	var para []string
	start := 0
	flush := func() {
		if len(para) > 0 {
			out = append(out, splitSentences(lines[start].doc, lines[start].n, strings.Join(para, " "))...)
			para = para[:0]
		}
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l.blank:
			flush()
		case l.heading || strings.HasPrefix(l.text, "|"):
			flush()
			out = append(out, splitSentences(l.doc, l.n, strings.Trim(l.text, "| "))...)
		case listItemRe.MatchString(l.text):
			flush()
			t := listItemRe.ReplaceAllString(l.text, "")
			for i+1 < len(lines) && continuation(lines[i+1]) {
				i++
				t += " " + lines[i].text
			}
			out = append(out, splitSentences(l.doc, l.n, t)...)
		default:
			if len(para) == 0 {
				start = i
			}
			para = append(para, l.text)
		}
	}
	flush()
	return out
}

// continuation reports whether l continues the list item above it: an
// indented line that starts nothing new.
func continuation(l line) bool {
	return l.indent && !l.blank && !l.heading && !listItemRe.MatchString(l.text)
}

// splitSentences splits text after ., ! or ? followed by a space.
func splitSentences(doc string, n int, text string) []sentence {
	var out []sentence
	begin := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if (c == '.' || c == '!' || c == '?') && (i+1 == len(text) || text[i+1] == ' ') {
			if s := strings.TrimSpace(text[begin : i+1]); s != "" && !abbreviation(s) {
				out = append(out, sentence{doc, n, s})
				begin = i + 1
			}
		}
	}
	if s := strings.TrimSpace(text[begin:]); s != "" {
		out = append(out, sentence{doc, n, s})
	}
	return out
}

// abbreviation reports whether s ends with an abbreviation ("e.g.") rather
// than a sentence.
func abbreviation(s string) bool {
	l := strings.ToLower(s)
	for _, a := range []string{"e.g.", "i.e.", "etc.", "vs.", "approx.", "incl."} {
		if strings.HasSuffix(l, a) {
			return true
		}
	}
	return false
}

// offlineProse runs the keyword heuristics over the prose documents.
func offlineProse(docs []*document, endpoints []Endpoint, auth *Auth) (proseAnswer, []string) {
	var all []line
	var sents []sentence
	perDoc := make([][]line, 0, len(docs))
	for _, d := range docs {
		ls := prepare(d)
		perDoc = append(perDoc, ls)
		all = append(all, ls...)
		sents = append(sents, sentences(ls)...)
	}
	comps := detectComponents(sents)
	a := proseAnswer{
		Components:     make([]Component, 0, len(comps)),
		DataFlows:      detectFlows(sents, all, comps),
		NFRSuggestions: detectNFRs(sents),
	}
	for _, c := range comps {
		a.Components = append(a.Components, c.Component)
	}
	var warns []string
	for _, ls := range perDoc {
		wfs, w := detectWorkflows(ls, endpoints, auth)
		a.Workflows = append(a.Workflows, wfs...)
		warns = append(warns, w...)
	}
	a.Workflows = dedupeWorkflows(a.Workflows)
	if len(a.Workflows) == 0 {
		a.Workflows = deriveWorkflows(endpoints, auth)
	}
	if len(a.Workflows) > maxWorkflows {
		a.Workflows = a.Workflows[:maxWorkflows]
	}
	return a, warns
}

// truncate cuts s to at most n bytes at a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ---- components ----

// tech is a named technology and the kind of component it is.
type tech struct {
	re   *regexp.Regexp
	name string
	kind string
}

// techs are the technologies recognised by name.
var techs = []tech{
	{regexp.MustCompile(`(?i)\bpostgre(?:s|sql)\b`), "PostgreSQL", KindDatabase},
	{regexp.MustCompile(`(?i)\bmysql\b`), "MySQL", KindDatabase},
	{regexp.MustCompile(`(?i)\bmariadb\b`), "MariaDB", KindDatabase},
	{regexp.MustCompile(`(?i)\bmongo(?:db)?\b`), "MongoDB", KindDatabase},
	{regexp.MustCompile(`(?i)\bdynamo(?:db)?\b`), "DynamoDB", KindDatabase},
	{regexp.MustCompile(`(?i)\bsqlite\b`), "SQLite", KindDatabase},
	{regexp.MustCompile(`(?i)\bcassandra\b`), "Cassandra", KindDatabase},
	{regexp.MustCompile(`(?i)\boracle\s+(?:db|database)\b`), "Oracle Database", KindDatabase},
	{regexp.MustCompile(`(?i)\bsql\s+server\b`), "SQL Server", KindDatabase},
	{regexp.MustCompile(`(?i)\belasticsearch\b`), "Elasticsearch", KindDatabase},
	{regexp.MustCompile(`(?i)\bopensearch\b`), "OpenSearch", KindDatabase},
	{regexp.MustCompile(`(?i)\bredis\b`), "Redis", KindCache},
	{regexp.MustCompile(`(?i)\bmemcached?\b`), "Memcached", KindCache},
	{regexp.MustCompile(`(?i)\bkafka\b`), "Kafka", KindQueue},
	{regexp.MustCompile(`(?i)\brabbitmq\b`), "RabbitMQ", KindQueue},
	{regexp.MustCompile(`(?i)\b(?:amazon\s+|aws\s+)?sqs\b`), "SQS", KindQueue},
	{regexp.MustCompile(`(?i)\b(?:amazon\s+|aws\s+)?sns\b`), "SNS", KindQueue},
	{regexp.MustCompile(`(?i)\bkinesis\b`), "Kinesis", KindQueue},
	{regexp.MustCompile(`\bNATS\b`), "NATS", KindQueue},
	{regexp.MustCompile(`(?i)\b(?:amazon\s+|aws\s+)?s3\b`), "S3", KindExternal},
	{regexp.MustCompile(`(?i)\bapi[ -]gateway\b`), "API Gateway", KindGateway},
	{regexp.MustCompile(`(?i)\bnginx\b`), "NGINX", KindGateway},
	{regexp.MustCompile(`(?i)\bload[ -]balancer\b`), "Load Balancer", KindGateway},
	{regexp.MustCompile(`(?i)\benvoy\b`), "Envoy", KindGateway},
	{regexp.MustCompile(`(?i)\bstripe\b`), "Stripe", KindExternal},
	{regexp.MustCompile(`(?i)\bpaypal\b`), "PayPal", KindExternal},
	{regexp.MustCompile(`(?i)\bauth0\b`), "Auth0", KindExternal},
	{regexp.MustCompile(`(?i)\bokta\b`), "Okta", KindExternal},
	{regexp.MustCompile(`(?i)\btwilio\b`), "Twilio", KindExternal},
	{regexp.MustCompile(`(?i)\bsendgrid\b`), "SendGrid", KindExternal},
	{regexp.MustCompile(`(?i)\b(?:web\s+)?front-?end\b`), "Frontend", KindFrontend},
	{regexp.MustCompile(`(?i)\bsingle[- ]page\s+app(?:lication)?\b`), "Frontend", KindFrontend},
	{regexp.MustCompile(`(?i)\bmobile\s+app\b`), "Mobile App", KindFrontend},
}

// genericComponents are added when a document names the kind but no
// technology of that kind.
var genericComponents = []tech{
	{regexp.MustCompile(`(?i)\bdatabase\b`), "Database", KindDatabase},
	{regexp.MustCompile(`(?i)\bcache\b`), "Cache", KindCache},
	{regexp.MustCompile(`(?i)\b(?:message\s+(?:queue|broker)|event\s+bus)\b`), "Message Queue", KindQueue},
}

// suffixKinds maps the last word of a component name to its kind.
var suffixKinds = map[string]string{
	"service": KindService, "api": KindService, "server": KindService, "worker": KindService, "backend": KindService,
	"store": KindDatabase, "database": KindDatabase, "db": KindDatabase, "repository": KindDatabase,
	"cache": KindCache,
	"queue": KindQueue, "topic": KindQueue, "broker": KindQueue, "bus": KindQueue,
	"gateway": KindGateway, "proxy": KindGateway,
	"frontend": KindFrontend, "app": KindFrontend, "ui": KindFrontend,
}

var (
	// namedRe matches "Cart Service", "Catalog API", "Token Store": up to
	// three capitalized words and a suffix.
	namedRe = regexp.MustCompile(`\b((?:[A-Z][A-Za-z0-9]*[ -]){0,3}[A-Z][A-Za-z0-9]*)[ -](Service|API|Server|Worker|Backend|Store|Database|DB|Repository|Cache|Queue|Topic|Broker|Bus|Gateway|Proxy|Frontend|App|UI)\b`)
	// hyphenRe matches "cart-service", "orders-api".
	hyphenRe = regexp.MustCompile(`\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*)-(service|svc|api|worker|db|cache|queue|gateway)\b`)
	// theRe matches "the cart service".
	theRe = regexp.MustCompile(`\bthe\s+([a-z][a-z0-9]*)\s+(service|api|server|database|cache|queue|gateway|store)\b`)
)

// nameStopwords never start a component name.
var nameStopwords = map[string]bool{
	"the": true, "a": true, "an": true, "this": true, "that": true, "these": true, "those": true,
	"each": true, "every": true, "our": true, "their": true, "its": true, "one": true, "any": true,
	"same": true, "other": true, "whole": true, "entire": true, "following": true, "new": true,
	"main": true, "primary": true, "web": true, "micro": true, "external": true, "internal": true,
	"some": true, "which": true, "all": true, "your": true, "my": true, "no": true, "if": true,
	"when": true, "then": true, "and": true, "or": true, "to": true, "from": true, "in": true,
	"on": true, "of": true, "for": true, "with": true, "by": true, "via": true, "is": true,
}

// component is a detected component and how its mentions are found.
type component struct {
	Component
	re *regexp.Regexp
}

// detectComponents finds components by technology name, by name and
// suffix ("Cart Service"), and generic kinds ("the database").
func detectComponents(sents []sentence) []*component {
	var out []*component
	byKey := map[string]*component{}
	add := func(name, kind string, re *regexp.Regexp, s sentence) {
		key := strings.ToLower(name)
		if c, ok := byKey[key]; ok {
			if c.Description == "" {
				c.Description = truncate(s.text, 200)
			}
			return
		}
		if len(out) >= maxComponents {
			return
		}
		c := &component{Component{Name: name, Kind: kind, Description: truncate(s.text, 200)}, re}
		byKey[key] = c
		out = append(out, c)
	}
	techName := map[string]bool{}
	for _, t := range techs {
		techName[strings.ToLower(t.name)] = true
	}
	for _, s := range sents {
		for _, t := range techs {
			if t.re.MatchString(s.text) {
				add(t.name, t.kind, t.re, s)
			}
		}
		for _, m := range namedRe.FindAllStringSubmatch(s.text, -1) {
			words := strings.FieldsFunc(m[1], func(r rune) bool { return r == ' ' || r == '-' })
			for len(words) > 0 && nameStopwords[strings.ToLower(words[0])] {
				words = words[1:]
			}
			if len(words) == 0 {
				continue
			}
			prefix := strings.Join(words, " ")
			if techName[strings.ToLower(prefix)] {
				continue // "Redis Cache" is Redis
			}
			name := prefix + " " + m[2]
			add(name, suffixKinds[strings.ToLower(m[2])], nameRegexp(words, m[2]), s)
		}
		for _, re := range []*regexp.Regexp{hyphenRe, theRe} {
			for _, m := range re.FindAllStringSubmatch(s.text, -1) {
				words := strings.Split(m[1], "-")
				if nameStopwords[words[0]] || techName[strings.Join(words, " ")] {
					continue
				}
				suffix := canonicalSuffix(m[2])
				add(titleWords(words)+" "+suffix, suffixKinds[strings.ToLower(suffix)], nameRegexp(words, suffix), s)
			}
		}
	}
	for _, g := range genericComponents {
		if slices.ContainsFunc(out, func(c *component) bool { return c.Kind == g.kind }) {
			continue
		}
		for _, s := range sents {
			if g.re.MatchString(s.text) {
				add(g.name, g.kind, g.re, s)
				break
			}
		}
	}
	return out
}

// canonicalSuffix spells a lower-case suffix as in a name.
func canonicalSuffix(s string) string {
	switch s {
	case "api", "db", "ui":
		return strings.ToUpper(s)
	case "svc":
		return "Service"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// titleWords capitalizes and joins words.
func titleWords(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		out[i] = string(unicode.ToUpper(r)) + w[n:]
	}
	return strings.Join(out, " ")
}

// nameRegexp matches a component's mentions: its words joined by spaces
// or hyphens, any case, with its suffix ("cart service", "cart-svc").
func nameRegexp(words []string, suffix string) *regexp.Regexp {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = regexp.QuoteMeta(w)
	}
	suf := regexp.QuoteMeta(suffix)
	if strings.EqualFold(suffix, "service") {
		suf = `(?:service|svc)`
	}
	return regexp.MustCompile(`(?i)\b` + strings.Join(parts, `[ -]`) + `[ -]` + suf + `\b`)
}

// ---- data flows ----

// flowVerbRe matches the verbs that make a data flow.
var flowVerbRe = regexp.MustCompile(`(?i)\b(calls?|invokes?|sends?|writes?|reads?|publish(?:es)?|consumes?|quer(?:y|ies)|stores?|caches|forwards?|push(?:es)?|notif(?:y|ies)|fetch(?:es)?|loads?|persists?|emits?|subscribes?|talks\s+to|connects\s+to|uses|routes?|proxies|hits)\b`)

// coordinatedRe matches text that ends with a coordinating word.
var coordinatedRe = regexp.MustCompile(`(?i)(?:\band|\bor|\bthen|\balso)\s*$`)

// arrowRe splits "A → B → C".
var arrowRe = regexp.MustCompile(`\s*(?:→|->|=>|⇒|⟶)\s*`)

// mention is a component named at a position of a sentence.
type mention struct {
	c          *component
	start, end int
}

// mentions finds the components a text names, in order, longest first
// where two overlap.
func mentions(text string, comps []*component) []mention {
	var ms []mention
	for _, c := range comps {
		for _, loc := range c.re.FindAllStringIndex(text, -1) {
			ms = append(ms, mention{c, loc[0], loc[1]})
		}
	}
	slices.SortFunc(ms, func(a, b mention) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	var out []mention
	for _, m := range ms {
		if len(out) > 0 && m.start < out[len(out)-1].end {
			continue
		}
		out = append(out, m)
	}
	return out
}

// detectFlows finds "X calls/sends/writes to Y" sentences and "A → B"
// lines between components.
func detectFlows(sents []sentence, lines []line, comps []*component) []DataFlow {
	var out []DataFlow
	seen := map[[2]string]bool{}
	add := func(from, to *component, desc string) {
		key := [2]string{from.Name, to.Name}
		if from == to || seen[key] || len(out) >= maxDataFlows {
			return
		}
		seen[key] = true
		out = append(out, DataFlow{From: from.Name, To: to.Name, Description: truncate(desc, 200)})
	}
	for _, s := range sents {
		if strings.ContainsAny(s.text, "→⇒⟶") || strings.Contains(s.text, "->") || strings.Contains(s.text, "=>") {
			continue // arrow lines are read below
		}
		ms := mentions(s.text, comps)
		if len(ms) < 2 {
			continue
		}
		// Verbs inside a component's name ("Token Store") are not verbs.
		verbs := slices.DeleteFunc(flowVerbRe.FindAllStringIndex(s.text, -1), func(v []int) bool {
			return slices.ContainsFunc(ms, func(m mention) bool { return v[0] < m.end && m.start < v[1] })
		})
		var from *component
		for i, v := range verbs {
			lo, hi := 0, len(s.text)
			if i > 0 {
				lo = verbs[i-1][1]
			}
			if i+1 < len(verbs) {
				hi = verbs[i+1][0]
			}
			// "X stores ... and caches ...": a coordinated verb keeps its
			// subject; otherwise the subject is the last component named
			// before the verb ("A calls B, which writes to C").
			if !coordinatedRe.MatchString(s.text[:v[0]]) || from == nil {
				for _, m := range ms {
					if m.start >= lo && m.end <= v[0] {
						from = m.c
					}
				}
			}
			if from == nil {
				continue
			}
			for _, m := range ms {
				if m.start >= v[1] && m.end <= hi {
					add(from, m.c, s.text)
				}
			}
		}
	}
	for _, l := range lines {
		parts := arrowRe.Split(l.text, -1)
		if len(parts) < 2 {
			continue
		}
		var prev *component
		for _, p := range parts {
			p = strings.Trim(listItemRe.ReplaceAllString(strings.TrimSpace(p), ""), " .,;:")
			c := wholeComponent(p, comps)
			if prev != nil && c != nil {
				add(prev, c, l.text)
			}
			prev = c
		}
	}
	return out
}

// wholeComponent returns the component a whole phrase names, if any.
func wholeComponent(p string, comps []*component) *component {
	ms := mentions(p, comps)
	if len(ms) == 1 && ms[0].start == 0 && ms[0].end == len(p) {
		return ms[0].c
	}
	return nil
}

// ---- workflows ----

var (
	// journeyRe matches "checkout: login → browse → add to cart → pay".
	journeyRe = regexp.MustCompile(`^(?:[-*+]\s+|\d+[.)]\s+)?(?:[^:,]{0,40},\s*)?([A-Za-z][\w /()'-]{0,60}?)\s*:\s*(.+)$`)
	// endpointStepRe matches a numbered list item naming an endpoint.
	endpointStepRe = regexp.MustCompile(`^\d+[.)]\s+.*?\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(/[^\s)*,;'"]*)`)
	// methodPathRe finds "METHOD /path" in a step phrase.
	methodPathRe = regexp.MustCompile(`\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(/[^\s)*,;'"]*)`)
	// criticalRe marks critical journeys.
	criticalRe = regexp.MustCompile(`(?i)\b(critical|business[- ]critical|mission[- ]critical|most important|key journey)\b`)
	// criticalNameRe names journeys critical by nature.
	criticalNameRe = regexp.MustCompile(`(?i)\b(checkout|payment|purchase|pay|order|booking)\b`)
)

// wfCandidate is a workflow found in a document; explicit ones list
// endpoints, and win over named journeys of the same name.
type wfCandidate struct {
	Workflow
	explicit bool
}

// detectWorkflows reads named journeys and numbered lists of endpoints.
func detectWorkflows(lines []line, endpoints []Endpoint, auth *Auth) ([]Workflow, []string) {
	var cands []wfCandidate
	var warns []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l.blank {
			continue
		}
		if endpointStepRe.MatchString(l.text) {
			j, steps, w := numberedList(lines, i, endpoints)
			warns = append(warns, w...)
			title, context := listTitle(lines, i)
			name := workflowName(title)
			if name == "" {
				name = fmt.Sprintf("workflow-%d", len(cands)+1)
			}
			if len(steps) > 0 {
				cands = append(cands, wfCandidate{Workflow{
					Name:        name,
					Description: truncate(context, maxTextLen),
					Steps:       steps,
					Critical:    criticalRe.MatchString(title+" "+context) || criticalNameRe.MatchString(name),
				}, true})
			} else {
				warns = append(warns, fmt.Sprintf("%s:%d: workflow %q: no step names an endpoint: dropped", l.doc, l.n, name))
			}
			i = j - 1
			continue
		}
		m := journeyRe.FindStringSubmatch(l.text)
		if m == nil || !arrowRe.MatchString(m[2]) {
			continue
		}
		label := m[1]
		name := workflowName(label)
		if name == "" {
			continue
		}
		var steps []WorkflowStep
		for _, phrase := range arrowRe.Split(m[2], -1) {
			phrase = strings.Trim(phrase, " .;")
			if phrase == "" {
				continue
			}
			method, path, ok := resolveStep(phrase, endpoints, auth)
			if !ok {
				warns = append(warns, fmt.Sprintf("%s:%d: workflow %q: step %q names no endpoint: dropped", l.doc, l.n, name, truncate(phrase, 60)))
				continue
			}
			if len(steps) < maxSteps {
				steps = append(steps, WorkflowStep{Endpoint: path, Method: method, Order: len(steps) + 1})
			}
		}
		if len(steps) == 0 {
			warns = append(warns, fmt.Sprintf("%s:%d: workflow %q: no step names an endpoint: dropped", l.doc, l.n, name))
			continue
		}
		cands = append(cands, wfCandidate{Workflow{
			Name:        name,
			Description: truncate(listItemRe.ReplaceAllString(l.text, ""), maxTextLen),
			Steps:       steps,
			Critical:    criticalRe.MatchString(label+" "+l.text) || criticalNameRe.MatchString(name),
		}, false})
	}
	// An explicit list wins over a named journey of the same name.
	var out []Workflow
	for i, c := range cands {
		dup := slices.ContainsFunc(cands, func(o wfCandidate) bool {
			return o.Name == c.Name && o.explicit && !c.explicit
		}) || slices.ContainsFunc(cands[:i], func(o wfCandidate) bool {
			return o.Name == c.Name && o.explicit == c.explicit
		})
		if !dup {
			out = append(out, c.Workflow)
		}
	}
	return out, warns
}

// numberedList reads the numbered list of endpoints starting at line i
// (blank lines may separate items) and returns the index after it.
func numberedList(lines []line, i int, endpoints []Endpoint) (int, []WorkflowStep, []string) {
	var steps []WorkflowStep
	var warns []string
	j := i
	for ; j < len(lines); j++ {
		l := lines[j]
		if l.blank {
			continue
		}
		m := endpointStepRe.FindStringSubmatch(l.text)
		if m == nil {
			if continuation(l) {
				continue
			}
			break
		}
		method, path := m[1], cleanPath(m[2])
		if len(endpoints) > 0 {
			e, ok := matchEndpoint(endpoints, method, path)
			if !ok {
				warns = append(warns, fmt.Sprintf("%s:%d: %s %s is not an endpoint of the OpenAPI documents: step dropped", l.doc, l.n, method, path))
				continue
			}
			method, path = e.Method, e.Path
		}
		if len(steps) < maxSteps {
			steps = append(steps, WorkflowStep{Endpoint: path, Method: method, Order: len(steps) + 1})
		}
	}
	return j, steps, warns
}

// listTitle returns a list's title and what the document says about it:
// a short lead-in line ending with ":" just above the list names it, else
// the nearest heading above does; the context adds the lead-in paragraph.
func listTitle(lines []line, i int) (title, context string) {
	heading := nearestHeading(lines, i)
	k := i - 1
	for k >= 0 && lines[k].blank {
		k--
	}
	if k < 0 || lines[k].heading || !strings.HasSuffix(lines[k].text, ":") {
		return heading, heading
	}
	start := k
	for start > 0 && !lines[start-1].blank && !lines[start-1].heading {
		start--
	}
	var para []string
	for _, l := range lines[start : k+1] {
		para = append(para, l.text)
	}
	lead := strings.TrimSuffix(strings.Join(para, " "), ":")
	if start == k && len(lead) <= 60 {
		return lead, lead
	}
	return heading, lead
}

// nearestHeading is the last heading above line i.
func nearestHeading(lines []line, i int) string {
	for k := i - 1; k >= 0; k-- {
		if lines[k].heading {
			return lines[k].text
		}
	}
	return ""
}

var (
	nameTrimRe  = regexp.MustCompile(`(?i)^(?:the|a|an|critical|business[- ]critical|main|key|user)\s+|\s+(?:journey|flow|workflow|scenario|path)$|\((?:[^)]*)\)`)
	nameCharsRe = regexp.MustCompile(`[^a-z0-9]+`)
)

// workflowName turns a title into a workflow name: the part after the
// last colon, without "the", "critical", "journey", "flow" and such, in
// lower-case-hyphenated form ("Critical journey: checkout" → "checkout").
func workflowName(title string) string {
	if i := strings.LastIndex(title, ":"); i >= 0 && strings.TrimSpace(title[i+1:]) != "" {
		title = title[i+1:]
	}
	t := strings.TrimSpace(title)
	for {
		next := strings.TrimSpace(nameTrimRe.ReplaceAllString(t, ""))
		if next == t {
			break
		}
		t = next
	}
	if t == "" {
		t = strings.TrimSpace(title)
	}
	name := strings.Trim(nameCharsRe.ReplaceAllString(strings.ToLower(t), "-"), "-")
	return truncate(name, 60)
}

// stepVerbs map verbs of a step phrase to the method they suggest.
var stepVerbs = map[string]string{
	"browse": "GET", "list": "GET", "view": "GET", "search": "GET", "get": "GET", "see": "GET",
	"read": "GET", "check": "GET", "open": "GET", "show": "GET", "visit": "GET", "find": "GET",
	"add": "POST", "create": "POST", "submit": "POST", "place": "POST", "pay": "POST", "buy": "POST",
	"post": "POST", "register": "POST", "send": "POST", "upload": "POST", "checkout": "POST", "book": "POST",
	"update": "PUT", "edit": "PUT", "change": "PUT", "modify": "PUT",
	"delete": "DELETE", "remove": "DELETE", "cancel": "DELETE",
}

// loginPhraseRe matches a login step.
var loginPhraseRe = regexp.MustCompile(`(?i)\b(log\s*in|login|sign\s*in|signin|authenticate|auth)\b`)

// wordRe splits phrases and endpoint names into words.
var wordRe = regexp.MustCompile(`[A-Za-z][a-z]*|[A-Z]+(?:[a-z]+)?|[0-9]+`)

// resolveStep maps a journey step ("log in", "browse products", "add to
// cart", "POST /api/cart") to an endpoint: an explicit method and path,
// the login for login words, else the endpoint whose path, operationId,
// summary and tags share the most words with the phrase (the verb's
// method breaking ties).
func resolveStep(phrase string, endpoints []Endpoint, auth *Auth) (string, string, bool) {
	if m := methodPathRe.FindStringSubmatch(phrase); m != nil {
		if len(endpoints) == 0 {
			return m[1], cleanPath(m[2]), true
		}
		e, ok := matchEndpoint(endpoints, m[1], m[2])
		return e.Method, e.Path, ok
	}
	if loginPhraseRe.MatchString(phrase) && auth != nil {
		return auth.Method, auth.Path, true
	}
	words := phraseWords(phrase)
	plural := pluralRe.MatchString(phrase)
	method := ""
	for _, w := range words {
		if m, ok := stepVerbs[w]; ok {
			method = m
			break
		}
	}
	best, bestScore := -1, 0
	for i, e := range endpoints {
		ew := endpointWords(e)
		score := 0
		for _, w := range words {
			if _, isVerb := stepVerbs[w]; isVerb && w != "checkout" && w != "search" {
				continue
			}
			if ew[w] {
				score += 2
			}
		}
		if score == 0 {
			continue
		}
		if method != "" && (e.Method == method || (method == "PUT" && e.Method == "PATCH")) {
			score++
		}
		// "browse products": a collection; "view product": one item.
		if item := strings.HasSuffix(e.Path, "}"); item != plural {
			score++
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return "", "", false
	}
	return endpoints[best].Method, endpoints[best].Path, true
}

// pluralRe finds a plural noun in a step phrase ("products", "orders").
var pluralRe = regexp.MustCompile(`(?i)\b[a-z]{3,}[^s\W]s\b`)

// stopPhraseWords are left out of matching.
var stopPhraseWords = map[string]bool{
	"a": true, "an": true, "the": true, "to": true, "of": true, "and": true, "in": true, "on": true,
	"for": true, "with": true, "from": true, "by": true, "at": true, "api": true, "v1": true, "v2": true,
	"user": true, "page": true, "then": true, "their": true, "his": true, "her": true,
}

// phraseWords are a phrase's lower-case, singular words.
func phraseWords(s string) []string {
	var out []string
	for _, w := range wordRe.FindAllString(s, -1) {
		w = singularWord(strings.ToLower(w))
		if !stopPhraseWords[w] {
			out = append(out, w)
		}
	}
	return out
}

// endpointWords are the words of an endpoint's path, operationId,
// summary and tags.
func endpointWords(e Endpoint) map[string]bool {
	out := map[string]bool{}
	text := strings.NewReplacer("/", " ", "{", " ", "}", " ", "_", " ", "-", " ", ".", " ").Replace(e.Path) +
		" " + e.OperationID + " " + e.Summary + " " + strings.Join(e.Tags, " ")
	for _, w := range wordRe.FindAllString(text, -1) {
		out[singularWord(strings.ToLower(w))] = true
	}
	return out
}

// singularWord drops a plural ending.
func singularWord(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:len(w)-1]
	}
	return w
}

// dedupeWorkflows keeps the first workflow of each name across documents.
func dedupeWorkflows(wfs []Workflow) []Workflow {
	var out []Workflow
	for _, w := range wfs {
		if !slices.ContainsFunc(out, func(o Workflow) bool { return o.Name == w.Name }) {
			out = append(out, w)
		}
	}
	return out
}

// utilityPathRe matches endpoints that are not user journeys.
var utilityPathRe = regexp.MustCompile(`(?i)(^|/)(health\w*|ready\w*|live\w*|metrics|ping|status|version|reset|debug|slow|static|assets|favicon[^/]*|docs?|swagger[^/]*|openapi[^/]*|admin)(/|$)`)

// maxDerivedSteps bounds the derived workflows.
const maxDerivedSteps = 5

// deriveWorkflows builds workflows from the endpoints when the documents
// name none: a login-first flow when there is a login (log in, browse,
// then the operations that need the token) and a read-only browse flow
// (public GETs).
func deriveWorkflows(endpoints []Endpoint, auth *Auth) []Workflow {
	var browse, protected []Endpoint
	for _, e := range endpoints {
		if utilityPathRe.MatchString(e.Path) || (auth != nil && e.Method == auth.Method && e.Path == auth.Path) {
			continue
		}
		switch {
		case len(e.Security) > 0:
			protected = append(protected, e)
		case e.Method == "GET" && e.Path != "/":
			browse = append(browse, e)
		}
	}
	// Collections before items: fewer path parameters first.
	slices.SortStableFunc(browse, func(a, b Endpoint) int {
		return strings.Count(a.Path, "{") - strings.Count(b.Path, "{")
	})
	slices.SortStableFunc(protected, func(a, b Endpoint) int {
		if (a.Method == "GET") != (b.Method == "GET") {
			if a.Method == "GET" {
				return -1
			}
			return 1
		}
		return 0
	})
	var out []Workflow
	if auth != nil {
		w := Workflow{
			Name:        "login-first",
			Description: "Derived from the endpoints: log in, browse, then call the operations that need the token.",
			Steps:       []WorkflowStep{{Endpoint: auth.Path, Method: auth.Method, Order: 1}},
		}
		for _, e := range append(firstN(browse, 1), firstN(protected, maxDerivedSteps-2)...) {
			w.Steps = append(w.Steps, WorkflowStep{Endpoint: e.Path, Method: e.Method, Order: len(w.Steps) + 1})
		}
		out = append(out, w)
	}
	if len(browse) > 0 {
		w := Workflow{Name: "browse", Description: "Derived from the endpoints: public read-only GET requests."}
		for _, e := range firstN(browse, maxDerivedSteps) {
			w.Steps = append(w.Steps, WorkflowStep{Endpoint: e.Path, Method: e.Method, Order: len(w.Steps) + 1})
		}
		out = append(out, w)
	}
	return out
}

func firstN[T any](s []T, n int) []T {
	return s[:min(len(s), max(n, 0))]
}

// ---- NFRs ----

const durUnit = `(ms|msec|milliseconds?|s|secs?|seconds?)`

// latencyRes are the response-time patterns per NFR key: the statistic
// then the value, or the value then the statistic.
var latencyRes = []struct {
	key string
	res []*regexp.Regexp
}{
	{"response_time_p50", pctRes(`p50|median|50(?:th)?[ -]?percentile`)},
	{"response_time_p90", pctRes(`p90|90(?:th)?[ -]?percentile|90%\s+of\s+(?:all\s+)?(?:requests|responses|calls)`)},
	{"response_time_p95", pctRes(`p95|95(?:th)?[ -]?percentile|95%\s+of\s+(?:all\s+)?(?:requests|responses|calls)`)},
	{"response_time_p99", pctRes(`p99|99(?:th)?[ -]?percentile|99%\s+of\s+(?:all\s+)?(?:requests|responses|calls)`)},
	{"response_time_avg", pctRes(`average|mean|avg`)},
	{"response_time_max", pctRes(`max(?:imum)?\s+(?:response\s+time|latency)|no\s+(?:request|response)\s+(?:may|should|must|can)\s+take\s+(?:more|longer)\s+than`)},
}

// pctRes builds the two orders of a statistic and a duration.
func pctRes(stat string) []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`(?i)\b(?:` + stat + `)\b[^.;\n]{0,60}?(\d+(?:\.\d+)?)\s*` + durUnit + `\b`),
		regexp.MustCompile(`(?i)(\d+(?:\.\d+)?)\s*` + durUnit + `\b[^.;\n\d]{0,40}?\b(?:` + stat + `)\b`),
	}
}

var (
	throughputRes = []*regexp.Regexp{
		regexp.MustCompile(`(?i)(\d[\d,]*(?:\.\d+)?)\s*(k)?\s*(?:requests?|reqs?|transactions?|calls?|hits?|operations?|ops)\s*(?:per|/|an?|each)\s*(second|sec|s|minute|min|hour|hr|h)\b`),
		regexp.MustCompile(`(?i)(\d[\d,]*(?:\.\d+)?)\s*(k)?\s*(rps|tps|qps|req/s|reqs/s|requests/s|rpm|req/min|requests/min)\b`),
	}
	availabilityRes = []*regexp.Regexp{
		regexp.MustCompile(`(?i)(\d{1,3}(?:\.\d+)?)\s*%\s*(?:availability|uptime|available|of\s+the\s+time)`),
		regexp.MustCompile(`(?i)\b(?:availability|uptime|available)\b[^.;\n\d]{0,40}?(\d{1,3}(?:\.\d+)?)\s*%`),
	}
	errorRateRes = []*regexp.Regexp{
		regexp.MustCompile(`(?i)(\d+(?:\.\d+)?)\s*%\s*(?:of\s+(?:all\s+)?requests\s+)?(?:errors?|error\s+rate|failures?|failed|may\s+fail)`),
		regexp.MustCompile(`(?i)\b(?:error[ -]?rate|errors?|failure[ -]?rate|failed\s+requests)\b[^.;\n\d]{0,40}?(\d+(?:\.\d+)?)\s*%`),
	}
	usersRes = []*regexp.Regexp{
		regexp.MustCompile(`(?i)(\d[\d,]*)\s*(k)?\s*(?:concurrent|simultaneous|parallel|active)\s+(?:users|sessions|clients|connections|vus|virtual\s+users)`),
		regexp.MustCompile(`(?i)\b(?:concurrent|simultaneous)\s+(?:users|sessions|clients)\b[^.;\n\d]{0,30}?(\d[\d,]*)\s*(k)?`),
		regexp.MustCompile(`(?i)max_concurrent_users\W{1,5}(\d+)()`),
	}
	clauseRe = regexp.MustCompile(`(?i)\s*(?:;|,\s|\band\b|\bwith\b|\bwhile\b|\bbut\b)\s*`)
)

// detectNFRs reads requirement sentences; the first statement of each
// requirement wins, clause by clause before whole sentences.
func detectNFRs(sents []sentence) NFRSuggestions {
	var n NFRSuggestions
	fields := map[string]*string{}
	for _, f := range nfrFields(&n) {
		fields[f.key] = f.val
	}
	var notes []string
	note := func(s sentence) {
		t := truncate(s.text, 300)
		if !slices.Contains(notes, t) && len(notes) < maxNotes {
			notes = append(notes, t)
		}
	}
	for _, s := range sents {
		texts := append(clauseRe.Split(s.text, -1), s.text)
		for _, t := range texts {
			for _, l := range latencyRes {
				if *fields[l.key] != "" {
					continue
				}
				if v := matchDuration(t, l.res); v != "" {
					*fields[l.key] = v
					note(s)
				}
			}
			if n.Throughput == "" {
				if v := matchThroughput(t); v != "" {
					n.Throughput = v
					note(s)
				}
			}
			if n.Availability == "" {
				if v := matchPercent(t, availabilityRes); v != "" {
					n.Availability = v
					note(s)
				}
			}
			if n.ErrorRate == "" {
				if v := matchPercent(t, errorRateRes); v != "" {
					n.ErrorRate = v
					note(s)
				}
			}
			if n.MaxConcurrentUsers == 0 {
				if v := matchCount(t, usersRes); v > 0 {
					n.MaxConcurrentUsers = v
					note(s)
				}
			}
		}
	}
	n.Notes = notes
	return n
}

// matchDuration returns a duration in ms ("500ms") from the first
// matching pattern.
func matchDuration(t string, res []*regexp.Regexp) string {
	for _, re := range res {
		m := re.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil || v <= 0 {
			continue
		}
		if u := strings.ToLower(m[2]); u != "ms" && u != "msec" && !strings.HasPrefix(u, "milli") {
			v *= 1000
		}
		if v > 3_600_000 {
			continue
		}
		return formatNumber(roundTo(v, 3)) + "ms"
	}
	return ""
}

// matchThroughput returns "200rps" or "3000/min".
func matchThroughput(t string) string {
	for _, re := range throughputRes {
		m := re.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		if err != nil || v <= 0 {
			continue
		}
		if m[2] != "" {
			v *= 1000
		}
		if v > 1e9 {
			continue
		}
		switch u := strings.ToLower(m[3]); {
		case u == "minute" || u == "min" || u == "rpm" || strings.HasSuffix(u, "/min"):
			return formatNumber(v) + "/min"
		case u == "hour" || u == "hr" || u == "h":
			return formatNumber(roundTo(v/60, 3)) + "/min"
		}
		return formatNumber(v) + "rps"
	}
	return ""
}

// matchPercent returns "99.9%" from the first matching pattern.
func matchPercent(t string, res []*regexp.Regexp) string {
	for _, re := range res {
		m := re.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil || v < 0 || v > 100 {
			continue
		}
		return formatNumber(v) + "%"
	}
	return ""
}

// matchCount returns a count ("1,000", "2k") from the first matching
// pattern.
func matchCount(t string, res []*regexp.Regexp) int {
	for _, re := range res {
		m := re.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		if err != nil || v <= 0 {
			continue
		}
		if len(m) > 2 && m[2] != "" {
			v *= 1000
		}
		if v > 100_000_000 {
			continue
		}
		return int(v)
	}
	return 0
}

// formatNumber prints a number without needless decimals.
func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// roundTo rounds to n decimals.
func roundTo(v float64, n int) float64 {
	p, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', n, 64), 64)
	return p
}
