/**
 * Delivery is at-least-once (docs/architecture.md): a kill -9 while the chat service holds a
 * reply part, before we could commit that it was sent, resends that part after the restart. The
 * next boot says so, at warn, naming the outbox row, so a duplicate in a chat can be explained.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, startDaemon, waitFor } from '../helpers/harness.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

let s: TelegramSetup | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

describe('a reply part in flight at a crash', () => {
  it('is sent again after the restart, and the boot log names its outbox row', async () => {
    s = await startWithTelegram();
    const { tg, h } = s;
    const log = (): string => readFileSync(join(h.home, 'logs', 'agentforge.log'), 'utf8');
    tg.inject('sendMessage', { kind: 'stall' }); // the service holds the part: no answer
    tg.pushMessage({ chatId: 111, from: { id: 111, first_name: 'Ann' }, text: 'echo held in flight' });
    await waitFor(
      () => tg.callsOf('sendMessage').some((c) => JSON.stringify(c.params).includes('held in flight')),
      15_000,
      'the reply to reach the service',
    );
    process.kill(s.pid, 'SIGKILL');
    await waitFor(() => !isAlive(s!.pid), 5_000, 'the daemon to die');
    s.pid = await startDaemon(h);
    await waitForReply(tg, 111, (t) => t.startsWith('held in flight'));
    const line = await waitFor(
      () =>
        log()
          .split('\n')
          .find((l) => l.includes('resending a reply part that was in flight')),
      5_000,
      'the resend warning',
    );
    expect(JSON.parse(line)).toMatchObject({ level: 40, part: 1, chat: '111', group: 'dm-111' });
  });
});
