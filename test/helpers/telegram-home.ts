/** A temp home with the Telegram channel pointed at a fresh fake Bot API, plus a started daemon. */
import { FAKE_TOKEN, FakeTelegram } from '../fakes/telegram-api.js';
import { makeHome, startDaemon, waitFor, type TestHome } from './harness.js';

export type TelegramSetup = { h: TestHome; tg: FakeTelegram; pid: number; stop: () => Promise<void> };

export function telegramConfig(apiRoot: string, extra = ''): string {
  return `[http]
port = 0

[daemon]
shutdown_timeout = "5s"

[limits]
turn_timeout = "20s"

[channels.telegram]
enabled = true
token = "env:AF_TEST_TG_TOKEN"
api_root = "${apiRoot}"
poll_timeout = "2s"
stall_threshold = "2s"
dm_policy = "pairing"
allowed_users = [111]
rate_per_chat_per_s = 1000
rate_per_group_per_min = 100000
rate_global_per_s = 100000
${extra}`;
}

export async function startWithTelegram(
  extraConfig = '',
  configure?: (tg: FakeTelegram) => void,
  editConfig: (toml: string) => string = (t) => t,
  /** More environment for the daemon, read after `configure` ran (e.g. pool bot tokens). */
  env: NodeJS.ProcessEnv = {},
): Promise<TelegramSetup> {
  const tg = new FakeTelegram();
  await tg.start();
  configure?.(tg);
  const h = makeHome({ env: { AF_TEST_TG_TOKEN: FAKE_TOKEN, ...env } });
  await h.run(['init']);
  h.writeConfig(editConfig(telegramConfig(tg.apiRoot, extraConfig)));
  let pid: number | undefined;
  try {
    pid = await startDaemon(h);
    await waitFor(() => tg.callsOf('getUpdates').length > 0, 10_000, 'first getUpdates');
  } catch (err) {
    // The caller gets no handle to stop: a daemon left running here outlives the whole suite.
    await h.cleanup();
    await tg.stop();
    throw err;
  }
  return {
    h,
    tg,
    pid,
    stop: async () => {
      await h.run(['daemon', 'stop']);
      await h.cleanup();
      await tg.stop();
    },
  };
}

export async function waitForReply(
  tg: FakeTelegram,
  chatId: number,
  predicate: (text: string) => boolean,
  timeoutMs = 15_000,
): Promise<string> {
  return waitFor(
    () => tg.sentTo(chatId).find((m) => predicate(m.text))?.text,
    timeoutMs,
    `reply in chat ${chatId}`,
  );
}
