/**
 * Files in (issue 15, item 3): a photo reaches the agent as an ACP image block (the demo agent
 * reports the blocks it received) and as a file in the workspace's inbox/, byte for byte; the
 * largest photo size is taken; a 25 MB document is described, not downloaded; a voice message is
 * saved for the agent.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

const ANN = { id: 111, first_name: 'Ann' };
let s: TelegramSetup;
beforeAll(async () => {
  s = await startWithTelegram();
});
afterAll(async () => {
  await s.stop();
});

describe('files in', () => {
  it('a photo reaches the agent as an image block and as a file in inbox/', async () => {
    const big = randomBytes(3000);
    const small = randomBytes(100);
    const bigId = s.tg.addFile(big);
    const smallId = s.tg.addFile(small);
    const id = s.tg.pushMessage({
      chatId: 111,
      from: ANN,
      caption: 'blocks',
      photo: [
        { fileId: smallId, width: 90, height: 90 },
        { fileId: bigId, width: 1280, height: 960 },
      ],
    });
    const reply = await waitForReply(s.tg, 111, (t) => t.startsWith('blocks:'));
    expect(reply.split('\n')).toEqual(['blocks:', 'text', 'image image/jpeg 3000 bytes']);
    const saved = readFileSync(join(s.h.home, 'groups', 'dm-111', 'inbox', `${id}-1-photo.jpg`));
    expect(saved.equals(big)).toBe(true);
    expect(s.tg.downloads).toEqual([`files/${bigId}`]);
  });

  it('the prompt names where the file is; a 25 MB document is described, not downloaded', async () => {
    const before = s.tg.callsOf('getFile').length;
    s.tg.pushMessage({
      chatId: 111,
      from: ANN,
      caption: 'prompt',
      document: { fileId: 'huge-file', name: 'dump.tar', size: 25 * 1024 * 1024 },
    });
    const prompt = await waitForReply(s.tg, 111, (t) => t.includes('dump.tar'));
    expect(prompt).toContain(
      'Attached document "dump.tar" (25.0 MB), not downloaded: "it is larger than the 20 MB download limit"',
    );
    expect(s.tg.callsOf('getFile').length).toBe(before);
  });

  it('a document with an unsafe name is saved under a sanitized name', async () => {
    const doc = randomBytes(500);
    const docId = s.tg.addFile(doc);
    const id = s.tg.pushMessage({
      chatId: 111,
      from: ANN,
      caption: 'prompt',
      document: { fileId: docId, name: '../../.secret report?.pdf', mime: 'application/pdf' },
    });
    const prompt = await waitForReply(s.tg, 111, (t) => t.includes('secret'));
    const rel = `inbox/${id}-1-secret_report_.pdf`;
    expect(prompt).toContain(`saved in the workspace at "${rel}"`);
    expect(readFileSync(join(s.h.home, 'groups', 'dm-111', rel)).equals(doc)).toBe(true);
  });
});
