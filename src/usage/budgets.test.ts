import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { openDatabase, type Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../store/migrations/index.js';
import { createStores, type Stores } from '../store/store.js';
import { BudgetBook } from './budgets.js';
import { nextRollover, periodKeys } from './periods.js';
import { UsageRecorder, type ReportedUsage } from './recorder.js';

let dir: string | undefined;
let db: Db | undefined;
afterEach(() => {
  db?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  db = dir = undefined;
});

function setup(toml: string, timezone: string, clock: { now: number }) {
  dir = mkdtempSync(join(tmpdir(), 'af-budget-'));
  db = openDatabase(join(dir, 'agentforge.db'));
  migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
  const stores: Stores = createStores(db);
  const config = parseConfig(toml, 'config.toml', dir);
  const recorder = new UsageRecorder(stores.usage, config, timezone);
  const book = new BudgetBook({
    usage: stores.usage,
    holds: stores.holds,
    config,
    timezone,
    now: () => clock.now,
  });
  const spend = (amount: number, at = clock.now, acp = 'acp-1', proc = 'p1'): void => {
    const usage: ReportedUsage = {
      inputTokens: 0,
      outputTokens: 0,
      cachedTokens: 0,
      totalTokens: 0,
      contextUsed: null,
      contextSize: null,
      cumulativeCost: amount < 0 ? null : { amount, currency: 'USD' },
    };
    recorder.record({
      sessionId: 's-1',
      acpSessionId: acp,
      process: proc,
      agent: 'demo',
      group: 'team',
      turn: 1,
      taskId: null,
      at,
      usage,
    });
  };
  return { stores, book, recorder, spend };
}

const SOFT_DAY = `[[budgets.limits]]
group = "team"
period = "day"
cost = 5.0
`;

describe('budget periods', () => {
  it('a day in Europe/Berlin ends at local midnight, also on the 23-hour and the 25-hour day', () => {
    // 30 March 2025: clocks go 02:00 → 03:00; 26 October: 03:00 → 02:00.
    const spring = Date.parse('2025-03-29T23:30:00Z'); // 00:30 CET on the 30th
    expect(periodKeys(spring, 'Europe/Berlin').day).toBe('2025-03-30');
    expect(new Date(nextRollover(spring, 'Europe/Berlin', 'day')).toISOString()).toBe(
      '2025-03-30T22:00:00.000Z',
    );
    const autumn = Date.parse('2025-10-25T22:30:00Z'); // 00:30 CEST on the 26th
    expect(new Date(nextRollover(autumn, 'Europe/Berlin', 'day')).toISOString()).toBe(
      '2025-10-26T23:00:00.000Z',
    );
  });

  it('in a zone whose clocks skip midnight itself the next day begins at 01:00', () => {
    // America/Santiago, 7 September 2025: 00:00 → 01:00 (UTC-4 → UTC-3).
    const at = Date.parse('2025-09-07T03:30:00Z'); // 23:30 on the 6th
    expect(periodKeys(at, 'America/Santiago').day).toBe('2025-09-06');
    const next = nextRollover(at, 'America/Santiago', 'day');
    expect(new Date(next).toISOString()).toBe('2025-09-07T04:00:00.000Z');
    expect(periodKeys(next, 'America/Santiago').day).toBe('2025-09-07');
    expect(periodKeys(next - 1, 'America/Santiago').day).toBe('2025-09-06');
  });

  it('a month rolls over on the 1st at local midnight', () => {
    const at = Date.parse('2025-03-31T21:59:00Z'); // 23:59 CEST on the 31st
    expect(periodKeys(at, 'Europe/Berlin').month).toBe('2025-03');
    expect(new Date(nextRollover(at, 'Europe/Berlin', 'month')).toISOString()).toBe(
      '2025-03-31T22:00:00.000Z',
    );
  });
});

describe('BudgetBook', () => {
  it('pauses at a soft limit, asks once, and frees the group at local midnight across a DST change', () => {
    // 23:30 CET on 29 March; the night the clocks go forward.
    const clock = { now: Date.parse('2025-03-29T22:30:00Z') };
    const { book, spend } = setup(SOFT_DAY, 'Europe/Berlin', clock);
    spend(4.8);
    expect(book.check('team', 'demo')).toEqual({ kind: 'ok' });
    spend(5.2);
    const first = book.check('team', 'demo');
    expect(first).toMatchObject({ kind: 'paused' });
    expect(first.kind === 'paused' && first.ask).toMatch(
      /^Spent 5\.20 of 5\.00 USD today — continue for today \(\+5\.00\)/,
    );
    expect(book.check('team', 'demo')).toEqual({ kind: 'paused' }); // asked once
    expect(book.asking('team', 'demo')).toBe(true);
    // 23:59:59 CET: still the 29th.
    clock.now = Date.parse('2025-03-29T22:59:59Z');
    expect(book.check('team', 'demo')).toEqual({ kind: 'paused' });
    // 00:00 CET on the 30th: a new day with nothing spent.
    clock.now = Date.parse('2025-03-29T23:00:00Z');
    expect(book.check('team', 'demo')).toEqual({ kind: 'ok' });
    expect(book.asking('team', 'demo')).toBe(false);
    // The 30th has 23 hours: at 23:30 CEST (21:30Z) it is still the 30th, at 22:00Z the 31st.
    spend(10.3, Date.parse('2025-03-30T21:30:00Z'));
    clock.now = Date.parse('2025-03-30T21:30:00Z');
    expect(book.check('team', 'demo')).toMatchObject({ kind: 'paused' });
    clock.now = Date.parse('2025-03-30T22:00:00Z');
    expect(book.check('team', 'demo')).toEqual({ kind: 'ok' });
  });

  it('"continue" adds the extension; "stop" keeps the group paused; the operator continues it', () => {
    const clock = { now: Date.parse('2025-06-01T10:00:00Z') };
    const { book, spend } = setup(SOFT_DAY, 'UTC', clock);
    spend(5);
    expect(book.check('team', 'demo').kind).toBe('paused');
    expect(book.answer('team', 'demo', 'continue', 'telegram:1')).toBe(
      'Continuing: the budget of this group for today is now 10.00 USD.',
    );
    expect(book.check('team', 'demo')).toEqual({ kind: 'ok' });
    spend(10); // cumulative: 5 more
    const again = book.check('team', 'demo');
    expect(again.kind === 'paused' && again.ask).toMatch(/^Spent 10\.00 of 10\.00 USD today/);
    expect(book.answer('team', 'demo', 'stop', 'telegram:1')).toMatch(/^Stopped: .*2025-06-02 00:00 \(UTC\)/);
    expect(book.check('team', 'demo')).toEqual({ kind: 'paused' });
    expect(book.status().limits[0]).toMatchObject({ state: 'stopped', spent: 10, limit: 10 });
    expect(book.operatorContinue('group', 'team', 'operator')).toEqual([
      'the budget of this group for today is now 15.00 USD',
    ]);
    expect(book.check('team', 'demo')).toEqual({ kind: 'ok' });
    expect(book.operatorContinue('group', 'team', 'operator')).toEqual([]);
  });

  it('a hard limit refuses until the period rolls over; an agent budget covers all its groups', () => {
    const clock = { now: Date.parse('2025-06-30T23:00:00Z') };
    const { book, recorder } = setup(
      `[[budgets.limits]]
agent = "demo"
period = "month"
tokens = 1000
mode = "hard"
`,
      'UTC',
      clock,
    );
    const used: ReportedUsage = {
      inputTokens: 900,
      outputTokens: 200,
      cachedTokens: 0,
      totalTokens: 1100,
      contextUsed: 5000,
      contextSize: 200000,
      cumulativeCost: null,
    };
    recorder.record({
      sessionId: 's-9',
      acpSessionId: 'a',
      process: 'p1',
      agent: 'demo',
      group: 'other',
      turn: 3,
      taskId: 't-1',
      at: clock.now,
      usage: used,
    });
    const v = book.check('team', 'demo');
    expect(v.kind === 'refused' && v.message).toBe(
      'Not answered: the hard budget of the agent demo for this month is spent (1100 tokens of 1000 tokens). Turns resume after 2025-07-01 00:00 (UTC).',
    );
    expect(book.check('team', 'claude')).toEqual({ kind: 'ok' });
    clock.now = Date.parse('2025-07-01T00:00:00Z');
    expect(book.check('team', 'demo')).toEqual({ kind: 'ok' });
  });
});

describe('UsageRecorder', () => {
  it('counts a cumulative cost once across turns, resumes and restarts', () => {
    const clock = { now: Date.parse('2025-06-01T10:00:00Z') };
    const { stores, spend } = setup('', 'UTC', clock);
    const now = clock.now;
    // What the real Claude adapter did (test/agents/claude-usage.test.ts), two runs. Run A:
    // process 1 ends at 0.108; a resume (process 2) restores it and adds 0.028; after a daemon
    // restart process 3 restores process 1's total (process 2's exit saved nothing) and adds 0.014.
    spend(0.1, now, 'acp-1', 'p1');
    spend(0.108, now + 1, 'acp-1', 'p1'); // same process: exact
    spend(0.136, now + 2, 'acp-1', 'p2');
    spend(0.122, now + 3, 'acp-1', 'p3');
    spend(0.122, now + 4, 'acp-1', 'p3'); // the same total again: nothing new
    // Run B: process 1 ends at 0.108; process 2 starts from zero (0.028); process 3 restores
    // process 2's total and adds 0.084.
    spend(0.108, now + 5, 'acp-b', 'q1');
    spend(0.028, now + 6, 'acp-b', 'q2');
    spend(0.112, now + 7, 'acp-b', 'q3');
    // A fresh ACP session (a failed resume) has totals of its own.
    spend(0.75, now + 8, 'acp-2', 'p4');
    const costs = stores.usage.ofSession('s-1').map((r) => Math.round(r.cost * 1000) / 1000);
    expect(costs).toEqual([0.1, 0.008, 0.028, 0.014, 0, 0.108, 0.028, 0.084, 0.75]);
    expect(stores.usage.spent('group', 'team', 'day', '2025-06-01', 'USD').cost).toBeCloseTo(1.12, 9);
  });

  it('estimates a cost from the price table for an agent that reports only tokens, marked estimated', () => {
    const clock = { now: Date.parse('2025-06-01T10:00:00Z') };
    const { stores, recorder } = setup(
      `[budgets.prices.demo]
input_per_mtok = 3
output_per_mtok = 15
`,
      'UTC',
      clock,
    );
    recorder.record({
      sessionId: 's-2',
      acpSessionId: 'a',
      process: 'p1',
      agent: 'demo',
      group: 'team',
      turn: 1,
      taskId: null,
      at: clock.now,
      usage: {
        inputTokens: 1000,
        outputTokens: 200,
        cachedTokens: 0,
        totalTokens: 1200,
        contextUsed: null,
        contextSize: null,
        cumulativeCost: null,
      },
    });
    const [row] = stores.usage.ofSession('s-2');
    expect(row).toMatchObject({ currency: 'USD', estimated: true, totalTokens: 1200 });
    expect(row!.cost).toBeCloseTo(0.006, 9);
  });
});
