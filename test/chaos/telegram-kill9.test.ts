/**
 * SPEC §7 "nothing is lost across a crash": a stream of 60 messages while the daemon is killed
 * with SIGKILL 20 times at random moments (mid-poll, mid-turn, mid-send) and started again; every
 * message answered, none lost, duplicates counted (test/helpers/telegram-kill9.ts). A single kill
 * runs in npm test: test/integration/telegram-restart.test.ts.
 */
import { afterEach, describe, it } from 'vitest';
import type { TelegramSetup } from '../helpers/telegram-home.js';
import { killLoop } from '../helpers/telegram-kill9.js';

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

describe('telegram under kill -9', () => {
  it('loses no message across 20 random SIGKILLs; duplicates are counted', async () => {
    await killLoop({ kills: 20, messages: 60, label: 'telegram-kill9', onSetup: (x) => (s = x) });
  }, 180_000); // generous: it shares two loaded cores with the other chaos files
});
