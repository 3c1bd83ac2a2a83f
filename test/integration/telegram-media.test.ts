/**
 * SPEC §7 inbound: media reach the agent as readable placeholders ("[photo] caption", "[voice]",
 * "[document: report.pdf]"), and an update delivered twice is answered once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

const ANN = { id: 111, first_name: 'Ann' };
// The demo agent treats a prompt that does not start with a command as chat and quotes it back.
const SAID = '[demo agent] you said: ';

let s: TelegramSetup;
beforeAll(async () => {
  s = await startWithTelegram();
});
afterAll(async () => {
  await s.stop();
});

describe('telegram media and duplicates', () => {
  it('a photo with a caption reaches the agent as "[photo] caption"', async () => {
    s.tg.pushMessage({ chatId: 111, from: ANN, media: 'photo', caption: 'look here' });
    const reply = await waitForReply(s.tg, 111, (t) => t.includes(SAID));
    expect(reply.startsWith(`${SAID}[photo] look here\n`)).toBe(true);
  });

  it('a voice message reaches the agent as "[voice]"', async () => {
    s.tg.pushMessage({ chatId: 111, from: ANN, media: 'voice' });
    const reply = await waitForReply(s.tg, 111, (t) => t.startsWith(`${SAID}[voice]`));
    expect(reply.startsWith(`${SAID}[voice]\n`)).toBe(true);
  });

  it('a document reaches the agent as "[document: report.pdf]", caption after it', async () => {
    s.tg.pushMessage({ chatId: 111, from: ANN, media: { document: 'report.pdf' } });
    const reply = await waitForReply(s.tg, 111, (t) => t.startsWith(`${SAID}[document`));
    expect(reply.startsWith(`${SAID}[document: report.pdf]\n`)).toBe(true);
    s.tg.pushMessage({ chatId: 111, from: ANN, media: { document: 'q3.xlsx' }, caption: 'numbers' });
    const withCaption = await waitForReply(s.tg, 111, (t) => t.includes('q3.xlsx'));
    expect(withCaption.startsWith(`${SAID}[document: q3.xlsx] numbers\n`)).toBe(true);
  });

  it('answers an update delivered twice only once, in the same batch or redelivered later', async () => {
    const answersTo = (word: string) => s.tg.sentTo(111).filter((m) => m.text.includes(word));

    // Same message id twice in one getUpdates batch: the next poll is held for a moment by the
    // fake, and both copies are queued before it reads its updates.
    s.tg.inject('getUpdates', { kind: 'delay', ms: 800 });
    const polls = s.tg.callsOf('getUpdates').length;
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo prep' }); // answers the open poll
    await waitFor(() => s.tg.callsOf('getUpdates').length > polls, 5_000, 'the delayed poll');
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo dup-seventy-seven', messageId: 77 });
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo dup-seventy-seven', messageId: 77 });
    await waitForReply(s.tg, 111, (t) => t.includes('dup-seventy-seven'));

    // Redelivered after it was answered (as after a lost offset): dropped as well.
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo dup-seventy-seven', messageId: 77 });
    await sleep(300);
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo marker-after-dups' });
    await waitForReply(s.tg, 111, (t) => t.includes('marker-after-dups'));

    const dup = answersTo('dup-seventy-seven');
    expect(dup).toHaveLength(1);
    // Had the copy been stored, it would at least show up as an earlier message in a prompt.
    expect(dup[0]!.text).toBe('dup-seventy-seven');
    expect(answersTo('marker-after-dups').map((m) => m.text)).toEqual(['marker-after-dups']);
    expect(s.tg.pendingUpdates).toBe(0); // every copy was acknowledged, none is stuck
  });
});
