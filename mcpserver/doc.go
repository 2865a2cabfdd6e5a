// Package mcpserver exposes loadgen as MCP tools over stdio, streamable
// HTTP and AWS Lambda. Its implementation lands with the MCP issue.
package mcpserver
