// End-to-end test of `loadgen mcp` through the official TypeScript MCP SDK
// client. cmd/loadgen/mcp_ts_test.go runs it; it can also run by hand:
//
//   npm ci
//   MCP_MODE=stdio LOADGEN_BIN=path/to/loadgen DOCS_ROOT=path/to/examples \
//     ARTIFACTS=$(mktemp -d) TARGET_URL=http://127.0.0.1:PORT node client.mjs
//   MCP_MODE=http MCP_URL=http://127.0.0.1:PORT/mcp MCP_TOKEN=... \
//     TARGET_URL=http://127.0.0.1:PORT node client.mjs
//
// Inputs (environment):
//   MCP_MODE     stdio (default: spawn LOADGEN_BIN mcp) or http
//   LOADGEN_BIN  the loadgen binary (stdio)
//   DOCS_ROOT    absolute path of the repository's examples folder (stdio)
//   ARTIFACTS    artifact folder of the server (stdio; informative for http)
//   MCP_URL      streamable HTTP endpoint, e.g. http://127.0.0.1:8765/mcp (http)
//   MCP_TOKEN    bearer token of the HTTP server (http; optional)
//   TARGET_URL   the system under test, on 127.0.0.1
//
// It runs the whole workflow (analyze → scenarios → plans → execute →
// status with progress → analyze results → artifacts) plus a few error
// paths, and prints one JSON summary line on stdout. Any failed assertion
// prints the reason on stderr and exits 1.

import { setMaxListeners } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const TOTAL_MS = 170_000; // the whole script, under 3 minutes
const CALL_MS = 60_000; // one ordinary tool call
const WAIT_SECONDS = 120; // get_test_status's wait_seconds

const TOOLS = [
  "analyze_architecture",
  "generate_test_scenarios",
  "generate_test_plans",
  "execute_performance_test",
  "get_test_status",
  "cancel_test",
  "get_test_artifacts",
  "analyze_test_results",
];

class Failure extends Error {}

function assert(cond, msg, detail) {
  if (cond) return;
  let extra = "";
  if (detail !== undefined) {
    extra = typeof detail === "string" ? detail : JSON.stringify(detail);
    if (extra.length > 4000) extra = extra.slice(0, 4000) + "…";
    extra = ": " + extra;
  }
  throw new Failure(msg + extra);
}

function env(name, required = true) {
  const v = process.env[name] ?? "";
  if (required && v === "") throw new Failure(`environment variable ${name} is not set`);
  return v;
}

const mode = process.env.MCP_MODE || "stdio";
const abort = new AbortController();
// The SDK adds an abort listener per request and never removes it.
setMaxListeners(0, abort.signal);
let client;
let transport;
let serverStderr = ""; // tail of the spawned server's stderr (stdio)

function makeTransport() {
  if (mode === "stdio") {
    const t = new StdioClientTransport({
      command: env("LOADGEN_BIN"),
      args: ["mcp", "--artifacts", env("ARTIFACTS"), "--docs-root", env("DOCS_ROOT"), "--max-duration", "2m"],
      // Merged with the SDK's safe default environment (HOME, PATH, …):
      // no API keys reach the server, and the AI steps run offline.
      env: {
        LOADGEN_AI_PROVIDER: "offline",
        ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
      },
      stderr: "pipe",
    });
    t.stderr?.on("data", (chunk) => {
      serverStderr = (serverStderr + chunk.toString()).slice(-16_000);
    });
    return t;
  }
  if (mode === "http") {
    const token = env("MCP_TOKEN", false);
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    return new StreamableHTTPClientTransport(new URL(env("MCP_URL")), { requestInit: { headers } });
  }
  throw new Failure(`MCP_MODE=${mode}: want stdio or http`);
}

// call calls a tool and returns its result, its text content and its
// structured content.
async function call(name, args, opts = {}) {
  const res = await client.callTool({ name, arguments: args }, undefined, {
    timeout: opts.timeout ?? CALL_MS,
    onprogress: opts.onprogress,
    signal: abort.signal,
  });
  const text = (res.content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n");
  return { res, text, out: res.structuredContent };
}

// mustCall calls a tool that must succeed with text and structured content.
async function mustCall(name, args, opts) {
  const r = await call(name, args, opts);
  assert(r.res.isError !== true, `${name} failed`, r.text);
  assert(r.out && typeof r.out === "object", `${name}: no structuredContent`, r.res);
  assert(r.text.trim() !== "", `${name}: no text content`, r.res);
  return r;
}

// mustFail calls a tool that must return a tool error (isError, not a
// protocol error) whose text mentions every one of want.
async function mustFail(name, args, ...want) {
  const r = await call(name, args);
  assert(r.res.isError === true, `${name}(${JSON.stringify(args)}) did not fail`, r.res);
  for (const w of want) {
    assert(r.text.includes(w), `${name}(${JSON.stringify(args)}): error does not mention ${JSON.stringify(w)}`, r.text);
  }
  return r;
}

const isNum = (v) => typeof v === "number" && Number.isFinite(v);

// fileArtifact checks a file:// artifact URL (local stores) points at an
// existing file and returns its content, or undefined for other URLs.
function fileArtifact(url) {
  if (typeof url !== "string" || !url.startsWith("file://")) return undefined;
  const p = fileURLToPath(url);
  assert(existsSync(p), `artifact URL ${url} names no file`);
  return readFileSync(p, "utf8");
}

async function main() {
  transport = makeTransport();
  client = new Client({ name: "loadgen-ts-e2e", version: "0.0.0" }, { capabilities: {} });
  await client.connect(transport, { timeout: CALL_MS, signal: abort.signal });
  const info = client.getServerVersion();
  assert(info && typeof info.name === "string", "initialize: no server info", info);

  // The tools and their input schemas.
  const { tools } = await client.listTools(undefined, { timeout: CALL_MS, signal: abort.signal });
  const byName = new Map(tools.map((t) => [t.name, t]));
  for (const name of TOOLS) {
    const t = byName.get(name);
    assert(t, `tools/list lacks ${name}`, tools.map((t) => t.name));
    assert(t.inputSchema && t.inputSchema.type === "object", `${name}: inputSchema is not an object schema`, t.inputSchema);
    assert(typeof t.description === "string" && t.description !== "", `${name}: no description`);
  }

  // Error paths that need no session.
  await mustFail("generate_test_scenarios", { session_id: "../x" }, "session_id");
  await mustFail("get_test_status", { session_id: "../x" }, "session_id");

  // The AI steps, offline.
  const { out: arch } = await mustCall("analyze_architecture", { documents_path: "architecture" });
  const sid = arch.session_id;
  assert(typeof sid === "string" && sid !== "", "analyze_architecture: no session_id", arch);
  assert(arch.endpoint_count > 0, "analyze_architecture: no endpoints", arch);
  assert(arch.source === "offline", "analyze_architecture: not offline", arch.source);

  const { out: sc } = await mustCall("generate_test_scenarios", {
    session_id: sid,
    scenario_types: ["load"],
    quick_duration: "3s",
    nfrs: { response_time_p95: "800ms", throughput: 1, error_rate: "5%" },
  });
  assert(Array.isArray(sc.scenarios) && sc.scenarios.length === 1, "generate_test_scenarios: want 1 scenario", sc.scenarios);
  assert(sc.scenarios[0].type === "load", "generate_test_scenarios: not a load scenario", sc.scenarios[0]);

  const { out: plans } = await mustCall("generate_test_plans", { session_id: sid, output_format: "all" });
  assert(plans.total_plans === 1 && plans.plans?.length === 1, "generate_test_plans: want 1 plan", plans);
  assert(plans.plans[0].jmx && plans.plans[0].java_dsl, "generate_test_plans: no JMeter exports", plans.plans[0]);

  // Refused runs: a target off the allowlist, a bad session id.
  await mustFail(
    "execute_performance_test",
    { session_id: sid, execution_environment: { target_url: "http://192.0.2.10:8080" } },
    "allowlist",
  );
  await mustFail("execute_performance_test", {
    session_id: "../x",
    execution_environment: { target_url: env("TARGET_URL") },
  }, "session_id");

  // The run.
  const { out: ex } = await mustCall("execute_performance_test", {
    session_id: sid,
    execution_environment: { target_url: env("TARGET_URL") },
    monitoring_config: { duration: "60s" },
  });
  assert(typeof ex.run_id === "string" && ex.run_id !== "", "execute_performance_test: no run_id", ex);
  assert(ex.status === "running" || ex.status === "completed", "execute_performance_test: status", ex.status);

  let progress = 0;
  let lastProgress;
  const { out: st } = await mustCall(
    "get_test_status",
    { session_id: sid, run_id: ex.run_id, wait_seconds: WAIT_SECONDS },
    {
      timeout: (WAIT_SECONDS + 30) * 1000,
      onprogress: (p) => {
        progress++;
        lastProgress = p;
      },
    },
  );
  assert(st.state === "completed", "get_test_status: run not completed", st);
  assert(st.progress === 1, "get_test_status: progress", st.progress);
  assert(st.plans?.length === 1 && st.plans[0].result, "get_test_status: no plan result", st.plans);
  const requests = st.plans[0].result.requests;
  assert(isNum(requests) && requests > 0, "get_test_status: the run sent nothing", st.plans[0]);
  assert(st.workers?.length >= 1 && st.workers[0].state === "completed", "get_test_status: workers", st.workers);
  if (mode === "http") {
    // Over stdio the SDK may drop progress read in the same chunk as the
    // response, so only HTTP (an SSE stream per request) asserts a count.
    assert(progress >= 1, "get_test_status: no progress notification while waiting with a progress token");
  }
  if (lastProgress !== undefined) {
    assert(isNum(lastProgress.progress), "progress notification without a numeric progress", lastProgress);
  }

  // The analysis.
  const { out: an, text: anText } = await mustCall("analyze_test_results", { session_id: sid });
  assert(an.run_id === ex.run_id, "analyze_test_results: another run", an.run_id);
  assert(/^[A-F]$/.test(an.grade), "analyze_test_results: grade", an.grade);
  assert(anText.includes(an.grade), "analyze_test_results: text lacks the grade", anText);
  assert(an.plans?.length === 1, "analyze_test_results: want 1 plan", an.plans);
  const pa = an.plans[0];
  assert(/^[A-F]$/.test(pa.grade?.letter), "plan grade letter", pa.grade);
  assert(isNum(pa.grade.score), "plan grade score", pa.grade);
  assert(pa.requests === requests, `analysis counts ${pa.requests} requests, the run ${requests}`);
  const rows = new Map((pa.nfrs ?? []).map((r) => [r.name, r]));
  for (const name of ["response_time_p95", "throughput", "error_rate"]) {
    const r = rows.get(name);
    assert(r, `NFR table lacks ${name}`, pa.nfrs);
    assert(isNum(r.measured), `NFR ${name}: measured is not a number`, r);
    assert(typeof r.pass === "boolean", `NFR ${name}: pass is not a boolean`, r);
  }
  assert(pa.insights?.source === "offline", "insights not offline", pa.insights);
  assert(typeof pa.insights.executive_summary === "string" && pa.insights.executive_summary !== "", "no executive summary", pa.insights);
  assert(typeof pa.report?.key === "string" && pa.report.key.endsWith("report.html"), "report key", pa.report);
  const html = fileArtifact(pa.report.url);
  if (html !== undefined) assert(html.includes("<html"), "report.html is not HTML", html.slice(0, 200));

  // The artifacts.
  const { out: arts } = await mustCall("get_test_artifacts", { session_id: sid, artifact_type: "all" });
  const names = (arts.artifacts ?? []).map((a) => a.name);
  assert(arts.total_count === names.length, "get_test_artifacts: total_count", arts.total_count);
  const want = [
    ["architecture.json", (n) => n === "architecture.json"],
    ["scenarios.json", (n) => n === "scenarios.json"],
    ["plans/….yaml", (n) => /^plans\/.+\.yaml$/.test(n)],
    ["….jmx", (n) => n.endsWith(".jmx")],
    ["runs/…/results.jtl", (n) => /^runs\/.+\/results\.jtl$/.test(n)],
    ["analysis/…/report.html", (n) => /^analysis\/.+\/report\.html$/.test(n)],
  ];
  for (const [label, match] of want) {
    assert(names.some(match), `get_test_artifacts lacks ${label}`, names);
  }
  for (const a of arts.artifacts) {
    assert(a.key.endsWith(a.name) && isNum(a.size), "artifact entry", a);
  }
  const { out: listed } = await mustCall("get_test_artifacts", {});
  assert(Array.isArray(listed.sessions) && listed.sessions.includes(sid), "get_test_artifacts: sessions", listed.sessions);

  return { ok: true, mode, grade: an.grade, requests, progress, artifacts: names.length };
}

async function shutdown() {
  if (!transport) return;
  const closing = (async () => {
    if (mode === "http" && transport.sessionId) {
      await transport.terminateSession().catch(() => {});
    }
    await client?.close().catch(() => {});
  })();
  await Promise.race([closing, new Promise((r) => setTimeout(r, 10_000).unref())]);
}

let timer;
const deadline = new Promise((_, reject) => {
  timer = setTimeout(() => {
    abort.abort();
    reject(new Failure(`timed out after ${TOTAL_MS / 1000}s`));
  }, TOTAL_MS);
});

try {
  const summary = await Promise.race([main(), deadline]);
  clearTimeout(timer);
  await shutdown();
  process.stdout.write(JSON.stringify(summary) + "\n");
  process.exit(0);
} catch (err) {
  clearTimeout(timer);
  const why = err instanceof Failure ? err.message : err?.stack ?? String(err);
  process.stderr.write(`client.mjs (${mode}): FAIL: ${why}\n`);
  await shutdown();
  if (serverStderr) process.stderr.write(`--- loadgen mcp stderr (tail) ---\n${serverStderr}\n`);
  process.exit(1);
}
