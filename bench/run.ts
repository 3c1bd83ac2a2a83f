/**
 * `npm run bench`: the figures we publish (docs/benchmarks.md). Runs the real daemon, the demo
 * agent and the fake Bot API on loopback; bounded to a few minutes; prints a table and writes JSON
 * to bench/results/. Targets are checked here, never in tests.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { chatFirstToken, coldStart, idle, statusLatency } from './daemon.js';
import { eventLogIngest, ingest } from './ingest.js';
import { ROOT } from './lib.js';
import { sandboxStartCost } from './sandbox.js';
import { dashboardBudget } from './dashboard.js';
import { latency, throughput } from './telegram.js';

const quick = process.argv.includes('--quick');
// The build being measured (npm run bench builds first), not the source tree tsx runs this from.
const BUILD = JSON.parse(readFileSync(join(ROOT, 'dist/build-info.json'), 'utf8')) as {
  version: string;
  gitSha: string;
};
type Row = { figure: string; value: number; unit: string; target: string; ok: boolean };
const rows: Row[] = [];
const add = (figure: string, value: number, unit: string, target: string, ok: boolean): void => {
  rows.push({ figure, value, unit, target, ok });
  process.stderr.write(`  ${figure}: ${value} ${unit}\n`);
};

const started = Date.now();
process.stderr.write('latency …\n');
const lat = await latency(quick ? 50 : 200);
add('e2e latency p50', lat.p50, 'ms', '', true);
add('e2e latency p90', lat.p90, 'ms', '', true);
add('e2e latency p99', lat.p99, 'ms', '≤ 30 ms', lat.p99 <= 30);
add('e2e latency max', lat.max, 'ms', '', true);
process.stderr.write('throughput …\n');
const tp = await throughput(quick ? 20 : 100, quick ? 5 : 10);
add(`throughput (${tp.chats} chats)`, tp.perSecond, 'msgs/s', '≥ 1000 msgs/s', tp.perSecond >= 1000);
process.stderr.write('ingest …\n');
const logIng = await eventLogIngest(quick ? 20_000 : 100_000);
add('event log ingest', logIng.perSecond, 'events/s', '', true);
add('raw batched insert', logIng.rawPerSecond, 'rows/s', '', true);
add('event log ingest / raw', logIng.ratio, 'ratio', '≥ 0.5', logIng.ratio >= 0.5);
const ing = await ingest(quick ? 5_000 : 20_000);
add('ACP stream end to end', ing.perSecond, 'events/s', '', true);
add('ACP stream / raw', ing.ratio, 'ratio', '', true);
process.stderr.write('cold start …\n');
const cold = await coldStart(quick ? 3 : 5);
add('cold start to /readyz (median)', cold.medianMs, 'ms', '≤ 500 ms', cold.medianMs <= 500);
process.stderr.write('idle …\n');
const idl = await idle(quick ? 10 : 30);
add(`idle RSS after ${idl.seconds} s`, idl.rssMb, 'MB', '≤ 80 MB', idl.rssMb <= 80);
add('  of which private (RssAnon)', idl.anonMb, 'MB', '', true);
add(`idle timer wakeups in ${idl.seconds} s`, idl.wakeups, 'count', '', true);
process.stderr.write('status …\n');
const st = await statusLatency(10);
add('agentforge status (median)', st.medianMs, 'ms', '≤ 200 ms', st.medianMs <= 200);
process.stderr.write('chat …\n');
const chat = await chatFirstToken(3);
add('chat time to first token (median)', chat.medianMs, 'ms', '', true);
process.stderr.write('sandbox …\n');
const sbx = await sandboxStartCost(quick ? 3 : 8);
if (sbx === null) process.stderr.write('  sandbox: bubblewrap cannot run here; no figure\n');
else {
  add('first turn, demo agent unsandboxed (median)', sbx.plainMs, 'ms', '', true);
  add('first turn, demo agent in bwrap (median)', sbx.sandboxedMs, 'ms', '', true);
  add('  extra start-up of the sandbox', sbx.extraMs, 'ms', '≤ 100 ms', sbx.extraMs <= 100);
}
process.stderr.write('dashboard …\n');
const dash = await dashboardBudget(quick ? 3 : 10);
if (dash === null) process.stderr.write('  dashboard: no Chromium at /usr/bin/chromium; no figure\n');
else {
  add('dashboard first page, gzipped', dash.firstPageKb, 'KB', '≤ 150 KB', dash.firstPageKb <= 150);
  add(
    'dashboard first render (median)',
    dash.firstRenderMedianMs,
    'ms',
    '≤ 300 ms',
    dash.firstRenderMedianMs <= 300,
  );
  add('dashboard first render (max)', dash.firstRenderMaxMs, 'ms', '', true);
}

const result = {
  version: BUILD.version,
  git_sha: BUILD.gitSha,
  node: process.versions.node,
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memory_gb: Math.round(totalmem() / 2 ** 30),
  },
  at: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  seconds: Math.round((Date.now() - started) / 1000),
  figures: rows,
  raw: { lat, tp, logIng, ing, cold, idl, st, chat, sbx, dash },
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(result, null, 2)}\n`);

const w = Math.max(...rows.map((r) => r.figure.length));
console.log(
  `\nAgentForge ${result.version} (${result.git_sha}) on Node ${result.node}, ${result.machine.cpus} cores — ${result.seconds} s\n`,
);
console.log(`${'figure'.padEnd(w)}  ${'value'.padStart(10)}  unit      target`);
for (const r of rows)
  console.log(
    `${r.figure.padEnd(w)}  ${String(r.value).padStart(10)}  ${r.unit.padEnd(8)}  ${r.target}${r.target ? (r.ok ? '  ok' : '  MISSED') : ''}`,
  );
console.log(`\nJSON: bench/results/latest.json`);
