/** Telegram → agent → Telegram: sequential latency and many-chat throughput, through the fake Bot API. */
import { FAKE_TOKEN, FakeTelegram } from '../test/fakes/telegram-api.js';
import { benchHome, percentile, round, startForeground, stop, waitReady } from './lib.js';

function config(apiRoot: string, maxAgents: number, allowed: number[]): string {
  return `[http]
port = 0
[limits]
max_concurrent_agents = ${maxAgents}
[channels.telegram]
enabled = true
token = "env:AF_BENCH_TG_TOKEN"
api_root = "${apiRoot}"
poll_timeout = "10s"
dm_policy = "allowlist"
allowed_users = [${allowed.join(', ')}]
rate_per_chat_per_s = 100000
rate_per_group_per_min = 1000000
rate_global_per_s = 100000
`;
}

function waitSent(tg: FakeTelegram, chat: number, count: number, timeoutMs: number): Promise<unknown> {
  return tg.waitForSent(chat, count, timeoutMs);
}

export async function latency(
  messages: number,
): Promise<{ p50: number; p90: number; p99: number; max: number; n: number }> {
  const tg = new FakeTelegram();
  await tg.start();
  const h = benchHome(config(tg.apiRoot, 2, [111]), { AF_BENCH_TG_TOKEN: FAKE_TOKEN });
  const d = startForeground(h);
  try {
    await waitReady(h);
    // Warm-up: the first message also starts the agent process.
    tg.pushMessage({ chatId: 111, from: { id: 111 }, text: 'echo warm' });
    await waitSent(tg, 111, 1, 30_000);
    const times: number[] = [];
    for (let i = 0; i < messages; i++) {
      const before = tg.sentTo(111).length;
      const t0 = performance.now();
      tg.pushMessage({ chatId: 111, from: { id: 111 }, text: `echo m${i}` });
      await waitSent(tg, 111, before + 1, 10_000);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return {
      p50: round(percentile(times, 50), 2),
      p90: round(percentile(times, 90), 2),
      p99: round(percentile(times, 99), 2),
      max: round(times[times.length - 1] ?? NaN, 2),
      n: times.length,
    };
  } finally {
    await stop(d);
    h.cleanup();
    await tg.stop();
  }
}

export async function throughput(
  chats: number,
  perChat: number,
): Promise<{ chats: number; messages: number; seconds: number; perSecond: number }> {
  const tg = new FakeTelegram();
  await tg.start();
  const users = Array.from({ length: chats }, (_, i) => 5000 + i);
  const h = benchHome(config(tg.apiRoot, chats, users), { AF_BENCH_TG_TOKEN: FAKE_TOKEN });
  const d = startForeground(h);
  try {
    await waitReady(h);
    // Warm every chat's agent first, so the figure is steady-state answering, not process start-up.
    for (const u of users) tg.pushMessage({ chatId: u, from: { id: u }, text: 'echo warm' });
    await Promise.all(users.map((u) => waitSent(tg, u, 1, 120_000)));
    const t0 = performance.now();
    for (let r = 0; r < perChat; r++) {
      for (const u of users) tg.pushMessage({ chatId: u, from: { id: u }, text: `echo r${r}` });
      // One message in flight per chat: each must be answered on its own (no batching of follow-ups).
      await Promise.all(users.map((u) => waitSent(tg, u, r + 2, 60_000)));
    }
    const seconds = (performance.now() - t0) / 1000;
    const messages = chats * perChat;
    return { chats, messages, seconds: round(seconds, 2), perSecond: round(messages / seconds, 0) };
  } finally {
    await stop(d);
    h.cleanup();
    await tg.stop();
  }
}
