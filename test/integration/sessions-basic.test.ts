/**
 * SPEC §6: a session through the real daemon and the real demo agent. A prompt is a turn whose
 * updates land in sessions/<id>/events.db in order, and the SSE stream replays from Last-Event-ID
 * without gaps or duplicates, across disconnects and while a turn is streaming.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse } from '../../src/net/uds-sse.js';
import { makeHome, startDaemon, testConfig, type TestHome } from '../helpers/harness.js';
import {
  apiEvents,
  apiToken,
  chunkText,
  events,
  newSession,
  prompt,
  reply,
  socketPath,
  type SessionEventRow,
} from '../helpers/sessions.js';

const CONFIG = testConfig(0, '\n[limits]\nturn_timeout = "10s"\nagent_memory_mb = 200\n');

/** Reads the session's SSE stream from lastEventId until `stop` says so, then disconnects. */
async function readStream(
  h: TestHome,
  id: string,
  lastEventId: string | undefined,
  stop: (seen: readonly SessionEventRow[]) => boolean,
  timeoutMs = 10_000,
): Promise<SessionEventRow[]> {
  const seen: SessionEventRow[] = [];
  const mismatched: string[] = [];
  const ctl = new AbortController();
  let done = false;
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  await readSse({
    socketPath: socketPath(h),
    path: `/api/sessions/${id}/events`,
    token: apiToken(h),
    lastEventId,
    signal: ctl.signal,
    onEvent: (e) => {
      if (done) return; // already past what this reader wanted: it is disconnecting
      const ev = JSON.parse(e.data) as SessionEventRow;
      // The SSE id and event name are the event's seq and kind: Last-Event-ID works off them.
      if (e.id !== String(ev.seq) || e.event !== ev.kind)
        mismatched.push(`${e.id}/${e.event} for ${ev.seq}/${ev.kind}`);
      seen.push(ev);
      if (stop(seen)) {
        done = true;
        ctl.abort();
      }
    },
  });
  clearTimeout(timer);
  if (!done) throw new Error(`SSE reader timed out after ${timeoutMs} ms with ${seen.length} events`);
  expect(mismatched).toEqual([]);
  return seen;
}

const turnEnded = (turn: number) => (seen: readonly SessionEventRow[]) =>
  seen.some((e) => e.kind === 'turn_end' && e.turn === turn);

function expectConsecutive(seqs: readonly number[], from: number, to: number): void {
  const expected = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  expect(seqs).toEqual(expected);
}

describe('an ACP session through the daemon', () => {
  let h: TestHome;
  beforeAll(async () => {
    h = makeHome();
    h.writeConfig(CONFIG);
    await startDaemon(h);
  });
  afterAll(() => h.cleanup());

  it('answers "echo hi" with "hi" and logs prompt, process start, update and turn end in order', async () => {
    const id = await newSession(h);
    const r = await prompt(h, id, 'echo hi');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ turn: 1, reply: 'hi', stop_reason: 'end_turn' });

    const evs = await events(h, id);
    const seqs = evs.map((e) => e.seq);
    expectConsecutive(seqs, 1, evs.length);
    const promptAt = evs.findIndex((e) => e.kind === 'prompt' && e.data['text'] === 'echo hi');
    const startedAt = evs.findIndex((e) => e.kind === 'process' && e.data['event'] === 'started');
    const chunkAt = evs.findIndex((e) => chunkText(e) === 'hi');
    const endAt = evs.findIndex((e) => e.kind === 'turn_end');
    expect({ promptAt, startedAt, chunkAt, endAt }).toEqual({
      promptAt: 0,
      startedAt: 1,
      chunkAt: 2,
      endAt: 3,
    });
    expect(evs[promptAt]!.turn).toBe(1);
    expect(evs[startedAt]!.data).toMatchObject({ resumed: false, agent: 'agentforge-demo' });
    expect(typeof evs[startedAt]!.data['pid']).toBe('number');
    expect(evs[chunkAt]!.turn).toBe(1);
    expect(evs[endAt]).toMatchObject({ turn: 1, data: { stop_reason: 'end_turn', reply_bytes: 2 } });
    // Timestamps never go backwards along the sequence.
    for (let i = 1; i < evs.length; i++) expect(evs[i]!.ts).toBeGreaterThanOrEqual(evs[i - 1]!.ts);

    // The durable log on disk holds exactly what the API served.
    const db = new Database(join(h.home, 'sessions', id, 'events.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT seq, ts, turn, kind, data FROM events ORDER BY seq').all() as Array<{
        seq: number;
        ts: number;
        turn: number | null;
        kind: string;
        data: string;
      }>;
      expect(rows.map((row) => ({ ...row, data: JSON.parse(row.data) as unknown }))).toEqual(evs);
    } finally {
      db.close();
    }
  });

  it('replays the SSE stream from Last-Event-ID with no gap and no duplicate', async () => {
    const id = await newSession(h);
    expect(await reply(h, id, 'echo hi')).toBe('hi');
    expect((await apiEvents(h, id)).length).toBeGreaterThanOrEqual(4);

    // Connect from the start, read only part of the backlog, disconnect.
    const first = await readStream(h, id, undefined, (seen) => seen.length >= 2);
    expect(first.map((e) => e.seq)).toEqual([1, 2]);

    // A turn runs while nobody is connected.
    expect(await reply(h, id, 'stream 20')).toBe(
      Array.from({ length: 20 }, (_, i) => `chunk ${i + 1}\n`).join(''),
    );

    // Reconnect from the last seen id: the rest of the backlog, the missed turn, and then live
    // events of a turn started while connected.
    const lastSeen = String(first[first.length - 1]!.seq);
    const live = reply(h, id, 'stream 20');
    const second = await readStream(h, id, lastSeen, turnEnded(3));
    expect(await live).toContain('chunk 20\n');

    const union = [...first, ...second];
    expect(second[0]!.seq).toBe(3);
    const all = await apiEvents(h, id);
    expectConsecutive(
      union.map((e) => e.seq),
      1,
      all[all.length - 1]!.seq,
    );
    expect(union).toEqual(all);
    expect(union.filter((e) => e.turn === 2 && chunkText(e) !== undefined)).toHaveLength(20);
    expect(union.filter((e) => e.turn === 3 && chunkText(e) !== undefined)).toHaveLength(20);
  });

  it('loses and repeats nothing when a reader reconnects again and again during a streaming turn', async () => {
    const id = await newSession(h);
    const startSeq = 0;
    const running = prompt(h, id, 'stream 2000');
    const seen: SessionEventRow[] = [];
    const connectedAt: number[] = [];
    while (!turnEnded(1)(seen)) {
      connectedAt.push(Date.now());
      const last = seen.length === 0 ? String(startSeq) : String(seen[seen.length - 1]!.seq);
      // Each connection takes a few events and hangs up: reconnects land mid-stream.
      const got = await readStream(h, id, last, (s) => s.length >= 25 || turnEnded(1)(s));
      seen.push(...got);
    }
    expect((await running).code).toBe(0);
    // Reconnects (not just the first connection) happened while the turn was still streaming,
    // so backlog replay and live delivery overlapped (same clock: same host).
    const endTs = seen.find((e) => e.kind === 'turn_end')!.ts;
    expect(connectedAt.slice(1).filter((t) => t < endTs).length).toBeGreaterThanOrEqual(1);
    const all = await apiEvents(h, id);
    expectConsecutive(
      seen.map((e) => e.seq),
      startSeq + 1,
      all[all.length - 1]!.seq,
    );
    expect(seen.filter((e) => e.turn === 1 && chunkText(e) !== undefined)).toHaveLength(2000);
  });
});
