// Package ui is loadgen's web dashboard, the successor of the original
// tool's Streamlit page: the sessions of the artifact store, each session's
// artifacts (architecture analysis, scenarios, plans as YAML, Java DSL and
// JMX, runs, analyses) with viewers and downloads, a form that runs any MCP
// tool from its input schema, a live view of a run, the HTML reports and a
// comparison of two analysed runs.
//
// The pages are rendered on the server with html/template; the stylesheet
// and one small script are embedded, so the dashboard works offline and its
// Content-Security-Policy allows no inline script. Every tool call goes
// through the real MCP server in the same process (an in-memory transport
// and a client session of the Go SDK), so the dashboard and the MCP clients
// share one behaviour and the same safety checks: target allowlist, document
// roots and caps. The store is only read, under keys checked with
// store.CheckKey.
//
// When Options.Token is set, every page needs it: as a bearer token or
// through the cookie that the login form sets after comparing the token in
// constant time. Forms that change anything are POSTs refused across
// origins (net/http.CrossOriginProtection) and without the form's CSRF
// token.
package ui
