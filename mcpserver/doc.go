// Package mcpserver exposes loadgen as MCP tools: analyze_architecture,
// generate_test_scenarios, generate_test_plans, execute_performance_test,
// get_test_status, cancel_test, get_test_artifacts and
// analyze_test_results, with the original tool's names and arguments.
//
// A Server holds the configuration (artifact store, document roots,
// target allowlist, caps, AI provider) and the runs it started; NewMCP
// gives an *mcp.Server for stdio or any other transport, HTTPHandler
// serves streamable HTTP (optionally behind a bearer token) and Lambda a
// function URL. Artifacts live in a store.Store under
// perf-pipeline/{session_id}/ in the original tool's layout; runs execute
// in this process, one plan after another, and keep their status in
// memory and in runs/{run_id}/status.json.
package mcpserver
