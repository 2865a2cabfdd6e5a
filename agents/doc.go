// Package agents turns architecture documents and NFRs into scenarios,
// plans and insights with Claude (Bedrock or the Anthropic API), with
// offline heuristics when no model is configured. Its implementation lands
// with the agents issue.
package agents
