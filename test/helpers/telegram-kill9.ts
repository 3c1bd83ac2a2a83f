/**
 * Telegram under kill -9 (SPEC §7 "nothing is lost across a crash"): a stream of messages while
 * the daemon is killed with SIGKILL at random moments (mid-poll, mid-turn, mid-send) and started
 * again, `kills` times. Afterwards every message has been answered, none lost; duplicates (a reply
 * sent again because the daemon died between sending it and recording that it was sent) are
 * counted and printed. One kill runs in npm test (test/integration/telegram-restart); the
 * 20-kill loop in the chaos suite (test/chaos/telegram-kill9).
 *
 * "Answered" counts the way the router answers: one turn takes every queued message of the chat,
 * the newest as the message to answer (the demo agent echoes it first) and the earlier ones quoted
 * as context (docs/agents.md, "Prompts"), so message N is answered by a delivered reply that starts
 * with "mN" or quotes "> echo mN".
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { rng } from './chaos.js';
import { isAlive, startDaemon, waitFor } from './harness.js';
import { procStat } from './sessions.js';
import { startWithTelegram, type TelegramSetup } from './telegram-home.js';

const ANN = { id: 111, first_name: 'Ann' };

/** For each message number, how many delivered replies answer it. */
function coverage(replies: readonly string[]): Map<number, number> {
  const seen = new Map<number, number>();
  const bump = (n: number): void => void seen.set(n, (seen.get(n) ?? 0) + 1);
  for (const text of replies) {
    const [head = '', ...rest] = text.split('\n');
    const own = /^m(\d+)$/.exec(head);
    if (own) bump(Number(own[1]));
    // A long reply (a big batch after many kills) arrives in parts of ≤ 4096 characters, cut at
    // line ends: a later part starts with a quoted line of the prompt.
    for (const line of own ? rest : [head, ...rest]) {
      // Replies reach the fake as Telegram HTML: the quote's ">" is "&gt;" there.
      const ctx = /^(?:>|&gt;) echo m(\d+)$/.exec(line);
      if (ctx) bump(Number(ctx[1]));
    }
  }
  return seen;
}

/** Processes (other than the daemon) whose cwd is inside the home: the agents it runs. */
function agentProcesses(home: string): Array<{ pid: number; ppid: number }> {
  const found: Array<{ pid: number; ppid: number }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue;
    }
    const stat = procStat(Number(entry));
    if (cwd.startsWith(`${home}/`) && stat !== undefined && stat.state !== 'Z')
      found.push({ pid: Number(entry), ppid: stat.ppid });
  }
  return found;
}

/** True when pid's chain of parents reaches ancestor. */
function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
    if (p === ancestor) return true;
    p = procStat(p)?.ppid;
  }
  return false;
}

/**
 * Runs the kill loop and asserts: no message lost, every one answered, nothing else sent, inbox
 * and outbox drained, no orphaned agent. `onSetup` receives the setup at once, so the caller's
 * afterEach can stop it whatever happens; `label` names the seed and the summary line.
 */
export async function killLoop(opts: {
  kills: number;
  messages: number;
  label: string;
  onSetup: (s: TelegramSetup) => void;
}): Promise<void> {
  const { kills: KILLS, messages: MESSAGES, label, onSetup } = opts;
  const started = Date.now();
  const s = await startWithTelegram();
  onSetup(s);
  const { h, tg } = s;
  let pid = s.pid;
  let pushed = 0;
  const push = (): void => {
    if (pushed < MESSAGES) tg.pushMessage({ chatId: 111, from: ANN, text: `echo m${pushed++}` });
  };
  const perCycle = Math.floor(MESSAGES / KILLS); // 3: two while up, one while down
  const killedAfter: number[] = [];
  const random = rng(label); // seeded and printed: a failing run can be replayed

  for (let k = 0; k < KILLS; k++) {
    for (let i = 0; i < perCycle - 1; i++) push();
    const wait = random.int(100, 699);
    killedAfter.push(wait);
    await sleep(wait);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 5_000, `daemon ${pid} to die`);
    push(); // arrives while nobody is polling
    pid = await startDaemon(h);
    s.pid = pid;
  }
  while (pushed < MESSAGES) push();
  const repliesDuringKills = tg.sentTo(111).length;

  const answered = await waitFor(
    () => {
      const cov = coverage(tg.sentTo(111).map((m) => m.text));
      return cov.size === MESSAGES && cov;
    },
    30_000,
    'every message to be answered',
  ).catch(() => coverage(tg.sentTo(111).map((m) => m.text)));
  await sleep(500); // late resends, if any, are counted too
  const final = coverage(tg.sentTo(111).map((m) => m.text));

  const lost = Array.from({ length: MESSAGES }, (_, n) => n).filter((n) => !final.has(n));
  let duplicates = 0;
  for (const count of final.values()) duplicates += count - 1;
  const replies = tg.sentTo(111);
  const headed = new Set(
    replies.map((m) => /^m(\d+)$/.exec(m.text.split('\n')[0] ?? '')?.[1]).filter((x) => x !== undefined),
  );
  console.log(
    `${label}: kills: ${KILLS} (after ${killedAfter.join(', ')} ms), messages: ${MESSAGES}, ` +
      `replies: ${replies.length} (${repliesDuringKills} before the last restart), answered first-hand: ${headed.size}, in a batch: ${MESSAGES - headed.size}, ` +
      `lost: ${lost.length}, duplicates: ${duplicates} of ${MESSAGES}, ` +
      `elapsed: ${Math.round((Date.now() - started) / 1000)} s`,
  );

  expect(lost, `lost messages: ${lost.join(', ')}`).toEqual([]);
  expect(answered.size).toBe(MESSAGES);
  // Nothing else was sent: no failure notices, no pairing codes. A reply is the echo ("mN" first)
  // or, when a long one was cut into parts, a later part, which starts inside the echoed prompt.
  for (const m of replies) expect(m.text).toMatch(/^(m\d+(\n|$)|\[agentforge\] (Message|Earlier)|&gt; )/);
  // The inbox is drained and the outbox empty: nothing is stuck for later.
  const status = await h.json<{
    queue: { depth: number };
    deliveries: { pending: number; failed: number };
  }>(['status']);
  expect(status.queue.depth).toBe(0);
  expect(status.deliveries).toMatchObject({ pending: 0, failed: 0 });
  // Agents of killed daemons were reaped at the next boot: only the live daemon's remain (a
  // sandboxed agent is a child of its bwrap, which is the daemon's child).
  for (const p of agentProcesses(h.home))
    expect(descendsFrom(p.pid, pid), `orphaned agent ${p.pid} (parent ${p.ppid})`).toBe(true);
}
