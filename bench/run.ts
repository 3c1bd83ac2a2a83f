/**
 * `npm run bench`: the figures we publish (docs/benchmarks.md). Runs the real daemon, the demo
 * agent and the fake Bot API on loopback; bounded to a few minutes; prints a table and writes JSON
 * to bench/results/. Targets are checked here, never in tests.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { chatFirstToken, coldStart, idle, nodeFloors, statusLatency } from './daemon.js';
import { eventLogIngest, ingest } from './ingest.js';
import { ROOT, round } from './lib.js';
import { sandboxStartCost } from './sandbox.js';
import { sessionMemory, turnOverhead } from './sessions.js';
import { dashboardBudget } from './dashboard.js';
import { latency, throughput } from './telegram.js';
import { emailLatency } from './email.js';

const quick = process.argv.includes('--quick');
// `--only=cold,idle,status`: a subset of the sections below, for working on one figure.
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const section = (name: string): boolean => only === undefined || only.includes(name);
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
const raw: Record<string, unknown> = {};
if (section('latency')) {
  process.stderr.write('latency …\n');
  const lat = (raw['lat'] = await latency(quick ? 50 : 200));
  add('e2e latency p50', lat.p50, 'ms', '', true);
  add('e2e latency p90', lat.p90, 'ms', '', true);
  add('e2e latency p99', lat.p99, 'ms', '≤ 30 ms', lat.p99 <= 30);
  add('e2e latency max', lat.max, 'ms', '', true);
}
if (section('throughput')) {
  process.stderr.write('throughput …\n');
  const tp = (raw['tp'] = await throughput(quick ? 20 : 100, quick ? 5 : 10));
  add(`throughput (${tp.chats} chats)`, tp.perSecond, 'msgs/s', '≥ 1000 msgs/s', tp.perSecond >= 1000);
}
if (section('email')) {
  process.stderr.write('e-mail …\n');
  const mail = (raw['mail'] = await emailLatency(quick ? 10 : 40));
  if (mail === null) process.stderr.write('  e-mail: dovecot is not installed; no figure\n');
  else {
    add('mail in → reply sent, IDLE (p50)', mail.p50, 'ms', '', true);
    add('mail in → reply sent, IDLE (p90)', mail.p90, 'ms', '', true);
    add('mail in → reply sent, IDLE (max)', mail.max, 'ms', '', true);
  }
}
if (section('ingest')) {
  process.stderr.write('ingest …\n');
  const logIng = (raw['logIng'] = await eventLogIngest(quick ? 20_000 : 100_000));
  add('event log ingest', logIng.perSecond, 'events/s', '', true);
  add('raw batched insert', logIng.rawPerSecond, 'rows/s', '', true);
  add('event log ingest / raw', logIng.ratio, 'ratio', '≥ 0.5', logIng.ratio >= 0.5);
  const ing = (raw['ing'] = await ingest(quick ? 5_000 : 20_000));
  add('ACP stream end to end', ing.perSecond, 'events/s', '', true);
  add('ACP stream / raw', ing.ratio, 'ratio', '', true);
}
if (section('turns')) {
  process.stderr.write('turn overhead …\n');
  const to = (raw['turns'] = await turnOverhead(quick ? 30 : 200));
  add('turn, direct ACP client (median)', to.directMs, 'ms', '', true);
  add('turn, through the daemon (median)', to.daemonMs, 'ms', '', true);
  add('  daemon overhead per turn', to.overheadMs, 'ms', '', true);
  add('  daemon / direct', to.ratio, 'ratio', '', true);
}
if (section('cold')) {
  process.stderr.write('cold start …\n');
  const cold = (raw['cold'] = await coldStart(quick ? 3 : 5));
  add('start to /readyz (median)', cold.medianMs, 'ms', '≤ 250 ms', cold.medianMs <= 250);
  add('  first start of a new home', cold.firstMedianMs, 'ms', '', true);
}
if (section('idle')) {
  process.stderr.write('idle …\n');
  const idl = (raw['idl'] = await idle(quick ? 10 : 30));
  add(`idle RSS after ${idl.seconds} s`, idl.rssMb, 'MB', '≤ 70 MB', idl.rssMb <= 70);
  add('  of which private (RssAnon)', idl.anonMb, 'MB', '', true);
  const floors = (raw['nodeFloors'] = await nodeFloors());
  add('  bare Node, idle (a floor)', floors.bareMb, 'MB', '', true);
  add('  Node + HTTP server + Response (the floor with Hono)', floors.httpMb, 'MB', '', true);
  add('  … + SQLite, one WAL database (the floor of this daemon)', floors.sqliteMb, 'MB', '', true);
  add(`idle timer wakeups in ${idl.seconds} s`, idl.wakeups, 'count', '', true);
}
// Before the sessions section, whose five agents' exits would still load the machine.
if (section('status')) {
  process.stderr.write('status …\n');
  const st = (raw['st'] = await statusLatency(quick ? 10 : 20));
  add('agentforge status (median)', st.medianMs, 'ms', '≤ 80 ms', st.medianMs <= 80);
  add('  bare `node -e 0` (the floor)', st.bareNodeMs, 'ms', '', true);
}
if (section('sessions')) {
  process.stderr.write('session memory …\n');
  const sm = (raw['sessionMemory'] = await sessionMemory(quick ? 3 : 5));
  add(`memory per live idle session (${sm.sessions})`, sm.perSessionMb, 'MB', '', true);
  add('  of which in the daemon', sm.daemonPerSessionMb, 'MB', '', true);
}
if (section('chat')) {
  process.stderr.write('chat …\n');
  const chat = (raw['chat'] = await chatFirstToken(3));
  add('chat time to first token (median)', chat.medianMs, 'ms', '', true);
}
if (section('sandbox')) {
  process.stderr.write('sandbox …\n');
  const sbx = (raw['sbx'] = await sandboxStartCost(quick ? 3 : 8));
  if (sbx === null) process.stderr.write('  sandbox: bubblewrap cannot run here; no figure\n');
  else {
    add('first turn, demo agent unsandboxed (median)', sbx.plainMs, 'ms', '', true);
    add('first turn, demo agent in bwrap (median)', sbx.sandboxedMs, 'ms', '', true);
    add('  extra start-up of the sandbox', sbx.extraMs, 'ms', '≤ 100 ms', sbx.extraMs <= 100);
  }
}
if (section('dashboard')) {
  process.stderr.write('dashboard …\n');
  const dash = (raw['dash'] = await dashboardBudget(quick ? 3 : 10));
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
  load_average: loadavg().map((l) => round(l, 2)),
  seconds: Math.round((Date.now() - started) / 1000),
  figures: rows,
  raw,
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(result, null, 2)}\n`);

const w = Math.max(...rows.map((r) => r.figure.length));
console.log(
  `\nAgentForge ${result.version} (${result.git_sha}) on Node ${result.node}, ${result.machine.cpus} cores, load ${result.load_average.join(' ')} — ${result.seconds} s\n`,
);
console.log(`${'figure'.padEnd(w)}  ${'value'.padStart(10)}  unit      target`);
for (const r of rows)
  console.log(
    `${r.figure.padEnd(w)}  ${String(r.value).padStart(10)}  ${r.unit.padEnd(8)}  ${r.target}${r.target ? (r.ok ? '  ok' : '  MISSED') : ''}`,
  );
const targets = rows.filter((r) => r.target !== '');
const missed = targets.filter((r) => !r.ok);
console.log(
  `\n${targets.length - missed.length} of ${targets.length} targets met${missed.length > 0 ? `; MISSED: ${missed.map((r) => r.figure.trim()).join(', ')}` : ''}`,
);
console.log(`JSON: bench/results/latest.json`);
