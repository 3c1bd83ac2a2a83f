/**
 * SPEC §7 "nothing is lost across a crash", once: messages arrive, the daemon is killed with
 * SIGKILL at a random moment, one more message arrives while it is down, and it is started again;
 * every message is answered and nothing else is sent (test/helpers/telegram-kill9.ts). The
 * 20-kill loop is in the chaos suite: test/chaos/telegram-kill9.test.ts.
 */
import { afterEach, describe, it } from 'vitest';
import type { TelegramSetup } from '../helpers/telegram-home.js';
import { killLoop } from '../helpers/telegram-kill9.js';

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

describe('telegram across a kill -9', () => {
  it('loses no message across one SIGKILL and a restart, including one sent while it was down', async () => {
    await killLoop({ kills: 1, messages: 3, label: 'telegram-restart', onSetup: (x) => (s = x) });
  }, 60_000);
});
