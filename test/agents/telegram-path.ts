/**
 * The whole chat path with a real adapter: a Telegram message (fake Bot API) → the daemon → the
 * real adapter → the fake model, which narrates, calls the daemon's list_groups and answers; the
 * reply reaches the chat as two paragraphs, not glued text. Then the adapter loses its sessions
 * (its session/load fails): the next message is still answered, and the chat is told once that
 * the earlier context is gone.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_TOKEN, FakeTelegram } from '../fakes/telegram-api.js';
import { scriptPrompt } from '../fakes/model-api/script.js';
import { startFakeModelApi, type FakeModelApi } from '../fakes/model-api/server.js';
import { makeHome, startDaemon, waitFor, type TestHome } from '../helpers/harness.js';
import { telegramConfig, waitForReply } from '../helpers/telegram-home.js';
import { OUR_TOOL, type Adapter, type AdapterSetup } from './harness.js';

const USER = { id: 111, first_name: 'Ann' };

export function telegramPath(a: Adapter): void {
  let tg: FakeTelegram;
  let fake: FakeModelApi;
  let h: TestHome;
  let setup: AdapterSetup;

  beforeAll(async () => {
    tg = new FakeTelegram();
    await tg.start();
    fake = await startFakeModelApi();
    setup = a.setup(fake.url, '');
    h = makeHome({ env: { AF_TEST_TG_TOKEN: FAKE_TOKEN, ...setup.daemonEnv } });
    await h.run(['init']);
    h.writeConfig(
      telegramConfig(
        tg.apiRoot,
        `
[agents.${a.name}]
preset = "${a.preset}"
command = ${JSON.stringify(process.execPath)}
args = ${JSON.stringify([a.entry, ...a.args])}
default = true
${setup.agentToml}
`,
      ).replace('turn_timeout = "20s"', 'turn_timeout = "90s"'),
    );
    await startDaemon(h);
    await waitFor(() => tg.callsOf('getUpdates').length > 0, 10_000, 'first getUpdates');
  }, 60_000);

  afterAll(async () => {
    await h?.run(['daemon', 'stop']);
    await h?.cleanup();
    await tg?.stop();
    await fake?.close();
  });

  describe(`${a.name} through Telegram`, () => {
    it('narration, a tool call and the answer arrive as separate paragraphs', async () => {
      tg.pushMessage({
        chatId: USER.id,
        from: USER,
        text: scriptPrompt([
          { text: ['NARRATION before tool call 1.'], tool: OUR_TOOL },
          { text: ['FINAL after 1 tool call(s): done.'] },
        ]),
      });
      const reply = await waitForReply(tg, USER.id, (t) => t.includes('FINAL'), 90_000);
      expect(reply).toBe('NARRATION before tool call 1.\n\nFINAL after 1 tool call(s): done.');
    });

    it('a lost session is answered fresh, and the chat is told once', async () => {
      const before = tg.sentTo(USER.id).length;
      const { sessions } = await h.json<{ sessions: Array<{ id: string; group_folder: string }> }>([
        'session',
        'list',
      ]);
      const id = sessions.find((x) => x.group_folder === 'dm-111')!.id;
      expect((await h.run(['session', 'stop', id])).code).toBe(0);
      rmSync(setup.sessionsDir(h.home, a.name), { recursive: true, force: true });
      tg.pushMessage({ chatId: USER.id, from: USER, text: scriptPrompt([{ text: ['fresh answer'] }]) });
      await waitForReply(tg, USER.id, (t) => t === 'fresh answer', 90_000);
      tg.pushMessage({ chatId: USER.id, from: USER, text: scriptPrompt([{ text: ['second answer'] }]) });
      await waitForReply(tg, USER.id, (t) => t === 'second answer', 90_000);
      const told = tg
        .sentTo(USER.id)
        .slice(before)
        .filter((m) => m.text.includes('could not restore the earlier conversation'));
      expect(told).toHaveLength(1);
    });
  });
}
