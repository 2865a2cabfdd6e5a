// Package agents runs the AI steps of the pipeline in one go: architecture
// documents and NFRs → architecture model → scenarios → plans (and their
// JMeter exports). Each step also runs alone from its own package:
//
//   - agents/arch: architecture analysis (OpenAPI parsed deterministically,
//     prose through the model or keyword heuristics);
//   - agents/scenario: scenario design, load shapes derived from the NFRs;
//   - agents/plangen: one validated plan per scenario, exported by the
//     compiler;
//   - agents/insights: the text of a run's analysis, quoting only its numbers.
//
// agents/llm is the model behind them (Bedrock Converse, the Anthropic API);
// with none configured every step runs offline, deterministically, and a
// model that fails or never answers validly falls back to the offline
// result (source "offline-fallback"). The CLI (`loadgen generate`,
// `loadgen ai ...`) and the MCP tools call this package.
package agents
