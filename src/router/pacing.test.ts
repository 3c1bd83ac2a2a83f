import { describe, expect, it } from 'vitest';
import { Pacer } from './pacing.js';

const TELEGRAM = { perChatPerS: 1, perGroupPerMin: 20, globalPerS: 30 };
const T0 = 1_700_000_000_000;

/** Sends to chatId as soon as the pacer allows, starting at `from`; returns the send times. */
function sendAll(p: Pacer, chatId: string, isGroup: boolean, n: number, from: number): number[] {
  const times: number[] = [];
  let now = from;
  for (let i = 0; i < n; i++) {
    now += p.delay(chatId, isGroup, now);
    expect(p.delay(chatId, isGroup, now)).toBe(0);
    p.record(chatId, isGroup, now);
    times.push(now);
  }
  return times;
}

describe('Pacer', () => {
  it('never delays the first message to an idle chat', () => {
    const p = new Pacer(TELEGRAM);
    expect(p.delay('111', false, T0)).toBe(0);
    expect(p.delay('-100', true, T0)).toBe(0);
    // Other chats being busy (below the global limit) does not delay a chat that has been quiet.
    for (let i = 0; i < 10; i++) p.record(String(500 + i), false, T0 + i);
    expect(p.delay('111', false, T0 + 10)).toBe(0);
  });

  it('a chat quiet for longer than its interval is not delayed again', () => {
    const p = new Pacer(TELEGRAM);
    p.record('111', false, T0);
    expect(p.delay('111', false, T0 + 1000)).toBe(0);
    expect(p.delay('111', false, T0 + 60_000)).toBe(0);
  });

  it('paces one chat to one message per second', () => {
    const p = new Pacer(TELEGRAM);
    p.record('111', false, T0);
    expect(p.delay('111', false, T0)).toBe(1000);
    expect(p.delay('111', false, T0 + 400)).toBe(600);
    expect(p.delay('111', false, T0 + 999)).toBe(1);
    const times = sendAll(p, '111', false, 5, T0);
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(1000);
    // A different chat is independent of that one.
    expect(p.delay('222', false, T0 + 1)).toBe(0);
  });

  it('holds a group chat to 20 messages per minute', () => {
    const p = new Pacer(TELEGRAM);
    const times = sendAll(p, '-100', true, 45, T0);
    // Sliding window: no 60-second window holds more than 20 sends.
    for (let i = 20; i < times.length; i++)
      expect((times[i] as number) - (times[i - 20] as number)).toBeGreaterThanOrEqual(60_000);
    // The first 20 go out at the per-chat pace; the 21st waits for the window.
    expect(times[19]).toBe(T0 + 19_000);
    expect(times[20]).toBe(T0 + 60_000);
    // A direct chat (not a group) is not under the per-group limit.
    const dm = sendAll(new Pacer(TELEGRAM), '111', false, 25, T0);
    expect(dm[24]).toBe(T0 + 24_000);
  });

  it('holds all chats together to 30 messages per second', () => {
    const p = new Pacer(TELEGRAM);
    for (let i = 0; i < 30; i++) {
      expect(p.delay(`chat${i}`, false, T0 + i)).toBe(0);
      p.record(`chat${i}`, false, T0 + i);
    }
    // The 31st message, to a chat never used, must wait until the oldest send leaves the window.
    expect(p.delay('fresh', false, T0 + 30)).toBe(1000 - 30);
    expect(p.delay('fresh', false, T0 + 999)).toBe(1);
    expect(p.delay('fresh', false, T0 + 1000)).toBe(0);
    // After the window slides by one send, exactly one more fits.
    p.record('fresh', false, T0 + 1000);
    expect(p.delay('fresh2', false, T0 + 1000)).toBe(1);
  });

  it('follows configured limits (a local Bot API server may allow more)', () => {
    const p = new Pacer({ perChatPerS: 10, perGroupPerMin: 600, globalPerS: 1000 });
    p.record('111', false, T0);
    expect(p.delay('111', false, T0)).toBe(100);
    const times = sendAll(p, '-5', true, 50, T0);
    expect((times[49] as number) - T0).toBe(4900);
  });
});
