// Browser test of the loadgen dashboard, run by mcpserver/ui/e2e_test.go:
// playwright-core drives the system's Chromium through the whole workflow
// with the dashboard's own forms, against the demo target on 127.0.0.1.
//
// Environment: DASHBOARD_URL (the dashboard, ending in /), TARGET_URL (the
// demo target), CHROMIUM (the browser executable), SCREENSHOTS (a folder).
// Prints one JSON summary line last; exits 1 on any failure, browser
// console error or page error.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.DASHBOARD_URL;
const target = process.env.TARGET_URL;
const shots = process.env.SCREENSHOTS;
if (!base || !target || !process.env.CHROMIUM || !shots) {
  console.error('DASHBOARD_URL, TARGET_URL, CHROMIUM and SCREENSHOTS are required');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const problems = [];
let shotCount = 0;

function check(cond, what) {
  if (!cond) {
    throw new Error('check failed: ' + what);
  }
}

async function shot(page, name) {
  shotCount++;
  await page.screenshot({ path: join(shots, String(shotCount).padStart(2, '0') + '-' + name + '.png'), fullPage: true });
}

// runTool fills a tool form (fields by name) and submits it; it returns
// the structured result.
async function runTool(page, fields) {
  for (const [name, value] of Object.entries(fields)) {
    await page.locator(`#tool-form [name="${name}"]`).fill(value);
  }
  await Promise.all([page.waitForNavigation(), page.click('#run-tool')]);
  return readResult(page);
}

// readResult returns the structured result shown on a tool page.
async function readResult(page) {
  const result = page.locator('#result');
  await result.waitFor();
  const cls = await result.getAttribute('class');
  if (cls.includes('is-error')) {
    throw new Error('tool error: ' + (await result.innerText()));
  }
  return JSON.parse(await page.locator('#result-json').innerText());
}

// watchRun follows the live view until the run ends; it returns the
// distinct live readings seen (updates counter and request count).
async function watchRun(page, name) {
  const readings = [];
  let shotTaken = false;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (await page.locator('#analyze').count() > 0) {
      break; // the page reloaded itself with the final results
    }
    const r = await page.evaluate(() => {
      const live = document.getElementById('live');
      if (!live) {
        return null;
      }
      const get = (k) => live.querySelector(`[data-k="${k}"]`)?.textContent ?? '';
      return {
        updates: Number(document.getElementById('updates')?.textContent ?? 0),
        state: get('state'), rps: get('rps'), p95: get('p95_ms'), errors: get('error_pct'), vus: get('vus'), requests: get('requests'),
      };
    }).catch(() => null); // the page may be reloading
    if (r && r.updates > 0 && r.state === 'running' && r.requests !== '–') {
      const last = readings[readings.length - 1];
      if (!last || last.updates !== r.updates) {
        readings.push(r);
      }
      if (!shotTaken && readings.length >= 2) {
        await shot(page, name + '-live');
        shotTaken = true;
      }
    }
    await page.waitForTimeout(250);
  }
  await page.locator('#analyze').waitFor({ timeout: 30_000 });
  return readings;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'],
  timeout: 60_000,
});
const summary = { ok: false };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      problems.push(`console error on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));

  // Sessions list, then a new session from the architecture documents.
  await page.goto(base);
  await shot(page, 'sessions-empty');
  await Promise.all([page.waitForNavigation(), page.click('text=New session: analyze architecture documents')]);
  const arch = await runTool(page, { documents_path: 'architecture' });
  const session = arch.session_id;
  check(/^[A-Za-z0-9._-]+$/.test(session) && arch.endpoint_count > 0, 'analyze_architecture result');
  await shot(page, 'architecture');

  // Scenarios: one short load scenario at a low rate.
  await Promise.all([page.waitForNavigation(), page.click(`#result-links >> text=Session ${session}`)]);
  await Promise.all([page.waitForNavigation(), page.click('text=Generate scenarios')]);
  check(await page.inputValue('[name="session_id"]') === session, 'session_id prefilled');
  const sc = await runTool(page, { scenario_types: 'load', quick_duration: '6s', 'nfrs.throughput': '5rps', 'nfrs.response_time_p95': '800ms' });
  check(sc.scenarios.length === 1, 'one scenario');

  // Plans against the demo target; the session page shows their tabs.
  await Promise.all([page.waitForNavigation(), page.click(`#result-links >> text=Session ${session}`)]);
  await Promise.all([page.waitForNavigation(), page.click('text=Generate plans')]);
  const plans = await runTool(page, { target_url: target });
  check(plans.total_plans === 1 && plans.target === target, 'one plan for the demo target');
  await Promise.all([page.waitForNavigation(), page.click(`#result-links >> text=Session ${session}`)]);
  const tabs = page.locator('#plans .tabs');
  await tabs.locator('label', { hasText: 'JMX' }).click();
  check((await tabs.locator('.tab-panel:visible').innerText()).includes('jmeterTestPlan'), 'JMX tab shows the .jmx');
  await tabs.locator('label', { hasText: 'Java DSL' }).click();
  check((await tabs.locator('.tab-panel:visible').innerText()).includes('import'), 'Java DSL tab shows Java');
  await tabs.locator('label', { hasText: 'YAML' }).click();
  check((await tabs.locator('.tab-panel:visible').innerText()).includes('scenarios'), 'YAML tab shows the plan');
  await shot(page, 'session-plans');

  const runs = [];
  const reports = [];
  for (let i = 0; i < 2; i++) {
    // Start a run with the form and follow it live.
    await page.goto(new URL(`s/${session}`, base).href);
    await Promise.all([page.waitForNavigation(), page.click('#start-run')]);
    const exec = await runTool(page, {});
    runs.push(exec.run_id);
    await Promise.all([page.waitForNavigation(), page.click(`#result-links >> text=Live view of run ${exec.run_id}`)]);
    const readings = await watchRun(page, `run${i + 1}`);
    const changed = new Set(readings.map((r) => r.requests)).size;
    check(readings.length >= 2 && changed >= 2, `live numbers changed over at least two updates: ${JSON.stringify(readings)}`);
    check(readings.every((r) => Number(r.vus) >= 0 && Number(r.rps) >= 0 && r.p95 !== ''), 'live readings are numbers');
    if (i === 0) {
      summary.readings = readings;
    }
    check((await page.locator('.badge').first().innerText()) === 'completed', 'run completed');
    await shot(page, `run${i + 1}-done`);

    // Analyze it and open the HTML report.
    await Promise.all([page.waitForNavigation(), page.click('#analyze')]);
    const analysis = await readResult(page);
    check(/^[A-F]$/.test(analysis.grade), 'graded A-F');
    summary.grade = analysis.grade;
    await shot(page, `run${i + 1}-analysis`);
    const report = page.locator('#result-links a', { hasText: 'report.html' }).first();
    reports.push(await report.getAttribute('href'));
    await Promise.all([page.waitForNavigation(), report.click()]);
    check((await page.locator('h1').first().innerText()).length > 0, 'report has a title');
    // The report's own sorting script runs under the report's CSP.
    const firstHeader = page.locator('table th').first();
    if (await firstHeader.count() > 0) {
      await firstHeader.click();
    }
    await shot(page, `run${i + 1}-report`);
  }

  // Compare the two runs.
  await page.goto(new URL('compare', base).href);
  const values = await page.locator('#base option').evaluateAll((os) => os.map((o) => o.value));
  const ref = (run) => values.find((v) => v.includes(`/analysis/${run}/`));
  check(ref(runs[0]) && ref(runs[1]), 'both analyses are offered');
  await page.selectOption('#base', ref(runs[0]));
  await page.selectOption('#new', ref(runs[1]));
  await Promise.all([page.waitForNavigation(), page.click('#compare')]);
  const rows = await page.locator('#compare-table tbody tr').count();
  check(rows >= 2, 'comparison rows');
  check((await page.locator('#compare-table tbody tr.total').count()) === 1, 'a total row');
  summary.comparison_rows = rows;
  summary.verdict = await page.locator('#comparison h2').innerText();
  await shot(page, 'comparison');

  summary.ok = problems.length === 0;
  summary.session = session;
  summary.runs = runs;
  summary.reports = reports;
} catch (err) {
  problems.push(String(err && err.stack ? err.stack : err));
} finally {
  summary.screenshots = shotCount;
  summary.problems = problems;
  await browser.close();
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
