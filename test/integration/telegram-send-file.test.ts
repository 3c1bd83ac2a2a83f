/**
 * Files out (issue 15, item 4): send_file sends a file of the group's workspace (images as
 * photos, the rest as documents); the file is copied into the outbox when queued, so what is sent
 * is byte-identical to what was enqueued even if the workspace changes before delivery; a path
 * outside the workspace (or a symlink out of it) is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/harness.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

const ANN = { id: 111, first_name: 'Ann' };
let s: TelegramSetup;
beforeAll(async () => {
  s = await startWithTelegram();
});
afterAll(async () => {
  await s.stop();
});

const say = async (text: string, reply: (t: string) => boolean): Promise<string> => {
  s.tg.pushMessage({ chatId: 111, from: ANN, text });
  return waitForReply(s.tg, 111, reply, 20_000);
};

describe('send_file', () => {
  it('sends what was enqueued, byte for byte, although the file changed before delivery', async () => {
    await say('put chart.png ORIGINAL-BYTES', (t) => t.startsWith('put chart.png'));
    // Telegram makes us wait 5 s: the workspace file changes meanwhile.
    s.tg.inject('sendPhoto', { kind: 'error', status: 429, description: 'Too Many Requests', retryAfter: 5 });
    const queued = await say('tool send_file {"path":"chart.png","caption":"the chart"}', (t) =>
      t.startsWith('tool ok: queued photo chart.png'),
    );
    expect(queued).toContain('(14 bytes)');
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'put chart.png CHANGED-AFTERWARDS' });
    const sent = await waitFor(() => s.tg.files.find((f) => f.name === 'chart.png'), 30_000, 'the photo');
    expect(sent.method).toBe('sendPhoto');
    expect(sent.caption).toBe('the chart');
    expect(sent.bytes.toString()).toBe('ORIGINAL-BYTES');
    await waitForReply(s.tg, 111, (t) => t.startsWith('put chart.png'), 20_000);
    await waitFor(
      () => readFileSync(join(s.h.home, 'groups', 'dm-111', 'chart.png'), 'utf8') === 'CHANGED-AFTERWARDS',
      10_000,
      'the workspace file changed',
    );
  });

  it('sends other files as documents', async () => {
    await say('put notes.txt some notes', (t) => t.startsWith('put notes.txt'));
    await say('tool send_file {"path":"notes.txt"}', (t) =>
      t.startsWith('tool ok: queued document notes.txt'),
    );
    const sent = await waitFor(() => s.tg.files.find((f) => f.name === 'notes.txt'), 20_000, 'the document');
    expect(sent.method).toBe('sendDocument');
    expect(sent.bytes.toString()).toBe('some notes');
  });

  it('refuses a path outside the workspace, and sends nothing', async () => {
    const before = s.tg.files.length;
    const out = await say(
      'tool send_file {"path":"../../api.token"}',
      (t) => t.includes('api.token') && t.includes('refused'),
    );
    expect(out).toContain('outside the workspace');
    const abs = await say('tool send_file {"path":"/etc/passwd"}', (t) => t.includes('/etc/passwd'));
    expect(abs).toContain('refused');
    expect(s.tg.files.length).toBe(before);
  });
});
