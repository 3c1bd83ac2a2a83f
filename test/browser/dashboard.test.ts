/**
 * SPEC §12, issue 17: the web dashboard in a real browser (Debian's Chromium) against a real
 * daemon with the demo agent and the fake Bot API. Logs in with the link `agentforge dashboard`
 * prints, watches a streaming turn arrive, approves a permission request, pauses and resumes a
 * task, retries a failed delivery, approves a pairing code, and checks every page with axe-core,
 * on a desktop and on a 390 px phone, in light and dark. A screenshot of each page lands in
 * test-results/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../helpers/harness.js';
import { launchChromium, screenshot, seriousAxeViolations } from './chromium.js';
import { startWithTelegram, waitForReply, type TelegramSetup } from '../helpers/telegram-home.js';

const ANN = { id: 111, first_name: 'Ann' };
const AGENTS = `
[agents.asker]
preset = "demo"
permission_mode = "ask"

[[budgets.limits]]
agent = "asker"
period = "month"
tokens = 1000000
mode = "soft"
`;

let s: TelegramSetup;
let browser: Browser;
let port: number;
let ctx: BrowserContext;
let page: Page;
/** Console errors and CSP violations seen by any page: there must be none. */
const problems: string[] = [];

async function loginLink(): Promise<string> {
  const r = await s.h.json<{ url: string }>(['dashboard']);
  return r.url;
}

function watch(p: Page): Page {
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${p.url()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`${p.url()}: ${e.message}`));
  return p;
}

async function loggedIn(
  opts: Parameters<Browser['newContext']>[0] = {},
): Promise<{ ctx: BrowserContext; page: Page }> {
  const c = await browser.newContext(opts);
  const p = watch(await c.newPage());
  await p.goto(await loginLink());
  await p.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  return { ctx: c, page: p };
}

/** Every "Loading …" placeholder has been replaced by data or an empty state. */
async function loaded(p: Page): Promise<void> {
  await p.waitForFunction(() =>
    Array.from(document.querySelectorAll('[role="status"]')).every(
      (e) => !e.textContent?.startsWith('Loading'),
    ),
  );
}

async function open(p: Page, hash: string, heading: string | RegExp): Promise<void> {
  await p.goto(`http://127.0.0.1:${port}/${hash}`);
  await p.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

beforeAll(async () => {
  port = await freePort();
  s = await startWithTelegram(AGENTS, undefined, (t) => t.replace('port = 0', `port = ${port}`));
  // startDaemon may have moved to another port if this one was taken meanwhile.
  port = (await s.h.json<{ http: { port: number } }>(['status'])).http.port;
  browser = await launchChromium();
  ({ ctx, page } = await loggedIn());
});

afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

describe('the dashboard in Chromium', () => {
  it('logs in with the one-time link: HttpOnly SameSite=Strict cookie, and the link works only once', async () => {
    expect(new URL(page.url()).pathname).toBe('/');
    const cookies = await ctx.cookies();
    expect(cookies).toEqual([
      expect.objectContaining({ name: 'af_session', httpOnly: true, sameSite: 'Strict', path: '/' }),
    ]);
    // The page's script cannot read the session cookie.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await page.getByText('ready', { exact: true }).waitFor();
    await screenshot(page, 'overview');

    const link = await loginLink();
    const other = await browser.newContext();
    const p = watch(await other.newPage());
    expect((await p.goto(link))?.status()).toBe(200);
    const again = await (await browser.newContext()).newPage();
    const res = await again.goto(link);
    expect(res?.status()).toBe(401);
    await again.getByText('expired or was already used').waitFor();
    await screenshot(again, 'login');
    await other.close();
  });

  it('streams a turn live into the chat: the reply grows while the turn is still running', async () => {
    await open(page, '#/chat', 'Chat');
    await page.getByLabel('Agent').selectOption('demo');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('heading', { name: /Conversation/ }).waitFor();
    await page.getByRole('status').filter({ hasText: 'live' }).first().waitFor();
    await page.getByLabel('Message').fill('stream 4 600');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const partial = await page.waitForFunction(() => {
      const m = document.querySelector('.msg.agent');
      return m !== null && m.textContent?.includes('chunk 1') ? m.textContent : false;
    });
    const seenEarly = (await partial.jsonValue()) as string;
    // Seen before the last chunk was written: it arrived while the turn ran, not at its end.
    expect(seenEarly).not.toContain('chunk 4');
    const done = page.locator('.msg.agent[data-done="yes"]');
    await done.waitFor({ timeout: 30_000 });
    expect(await done.textContent()).toContain('chunk 1\nchunk 2\nchunk 3\nchunk 4');
    await screenshot(page, 'chat');
  });

  it('shows a pending permission request and approves it; the agent goes on', async () => {
    await open(page, '#/chat', 'Chat');
    await page.getByLabel('Agent').selectOption('asker');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('heading', { name: /Conversation/ }).waitFor();
    const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
    await page.getByLabel('Message').fill('ask edit notes.txt');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const approve = page.getByRole('button', { name: /^Approve request p/ });
    await approve.waitFor({ timeout: 30_000 });
    await page.getByText('notes.txt').first().waitFor();
    await screenshot(page, 'permission');
    await approve.click();
    await page.locator('.msg.agent', { hasText: 'permission: allow' }).waitFor({ timeout: 30_000 });
    const events = await s.h.json<{ events: Array<{ kind: string; data: Record<string, unknown> }> }>([
      'session',
      'events',
      id,
    ]);
    const decided = (Array.isArray(events) ? events : events.events).find((e) => e.kind === 'permission');
    expect(decided?.data).toMatchObject({ allow: true, by: 'operator', decided_by: 'dashboard' });

    await open(page, `#/sessions/${id}`, `Session ${id}`);
    await page.locator('.events li[data-kind="permission"]').waitFor();
    await screenshot(page, 'session');
    await open(page, '#/sessions', 'Sessions');
    await page.getByRole('link', { name: id }).waitFor();
    await screenshot(page, 'sessions');
  });

  it('adds a task with a cron preview, then pauses and resumes it', async () => {
    await open(page, '#/tasks', 'Tasks');
    await page.getByText('No scheduled tasks.').waitFor();
    await page.getByLabel('Prompt').fill('echo from a task');
    await page.getByLabel(/^Schedule \(/).fill('0 9 * * 1-5');
    await page.getByLabel('Time zone (IANA)').fill('UTC');
    const preview = page.locator('.preview li');
    await preview.nth(4).waitFor();
    expect(await preview.count()).toBe(5);
    await page.getByRole('button', { name: 'Add task' }).click();
    const row = page.locator('tr[data-task]');
    await row.waitFor();
    const taskId = (await row.getAttribute('data-task'))!;

    await page.getByRole('button', { name: `Pause task ${taskId}` }).click();
    await page.getByRole('button', { name: `Resume task ${taskId}` }).waitFor();
    expect((await s.h.json<{ status: string }>(['task', 'show', taskId])).status).toBe('paused');
    await screenshot(page, 'tasks');
    await page.getByRole('button', { name: `Resume task ${taskId}` }).click();
    await page.getByRole('button', { name: `Pause task ${taskId}` }).waitFor();
    expect((await s.h.json<{ status: string }>(['task', 'show', taskId])).status).toBe('active');
  });

  it('lists a failed delivery and retries it: the message reaches the chat', async () => {
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo warm' });
    await waitForReply(s.tg, 111, (t) => t === 'warm');
    s.tg.inject('sendMessage', { kind: 'error', status: 400, description: 'Bad Request: chat not found' });
    s.tg.pushMessage({ chatId: 111, from: ANN, text: 'echo lost words' });
    await waitFor(
      async () => (await s.h.json<{ deliveries: { failed: number } }>(['status'])).deliveries.failed >= 1,
      20_000,
      'a failed delivery',
    );
    await open(page, '#/deliveries', 'Deliveries');
    const row = page.locator('tr[data-outbox]', { hasText: 'lost words' });
    await row.waitFor();
    await row.getByText('chat not found').waitFor();
    await screenshot(page, 'deliveries');
    await row.getByRole('button', { name: /^Retry: delivery/ }).click();
    await waitForReply(s.tg, 111, (t) => t.startsWith('lost words'));
    await page.getByText('No failed deliveries.').waitFor();
  });

  it('approves a pairing code; the new user is told', async () => {
    s.tg.pushMessage({ chatId: 222, from: { id: 222, first_name: 'Bea' }, text: 'hello?' });
    const codeMsg = await waitForReply(s.tg, 222, (t) => t.includes('pairing code'));
    const code = /code is ([A-Z0-9]{8})/.exec(codeMsg)![1]!;
    await open(page, '#/groups', 'Groups and pairing');
    const approve = page.getByRole('button', { name: `Approve pairing code ${code}` });
    await approve.waitFor();
    await screenshot(page, 'groups');
    await approve.click();
    await waitForReply(s.tg, 222, (t) => t.startsWith('You are approved'));
    await page.getByText('No one is waiting.').waitFor();
  });

  it('tails the log live and takes and verifies a backup', async () => {
    await open(page, '#/logs', 'Logs');
    await page.locator('.logs li', { hasText: 'daemon ready' }).waitFor();
    // A line written now arrives without a reload: the approve above logs; a CLI call here too.
    await s.h.run(['send', 'dm-111', 'marker for the log']);
    await page.getByLabel('Minimum level').selectOption('trace');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator('.logs li').first().waitFor();
    await screenshot(page, 'logs');

    await open(page, '#/backups', 'Backups');
    await page.getByText('No backups yet.').waitFor();
    await page.getByRole('button', { name: 'Back up now' }).click();
    const verify = page.getByRole('button', { name: /^Verify backup agentforge-/ });
    await verify.waitFor();
    await verify.click();
    await page.getByText(/^verified, \d+ files$/).waitFor({ timeout: 60_000 });
    await screenshot(page, 'backups');
  });

  const PAGES: Array<[string, string | RegExp]> = [
    ['#/overview', 'Overview'],
    ['#/sessions', 'Sessions'],
    ['#/chat', 'Chat'],
    ['#/groups', 'Groups and pairing'],
    ['#/tasks', 'Tasks'],
    ['#/deliveries', 'Deliveries'],
    ['#/logs', 'Logs'],
    ['#/backups', 'Backups'],
  ];

  it('axe-core finds no serious or critical issue on any page, in light and in dark', async () => {
    const sessions = await s.h.json<{ sessions: Array<{ id: string }> }>(['session', 'list']);
    const all: Array<[string, string | RegExp]> = [
      ...PAGES,
      [`#/sessions/${sessions.sessions[0]!.id}`, /^Session /],
    ];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [hash, heading] of all) {
        await open(page, hash, heading);
        await loaded(page);
        expect({ page: hash, scheme, violations: await seriousAxeViolations(page) }).toEqual({
          page: hash,
          scheme,
          violations: [],
        });
      }
      await screenshot(page, `overview-${scheme}`);
    }
    const login = watch(await (await browser.newContext()).newPage());
    await login.goto(`http://127.0.0.1:${port}/login`);
    expect(await seriousAxeViolations(login)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('shows spend against the budgets on the overview when budgets exist', async () => {
    await open(page, '#/overview', 'Overview');
    await page.getByRole('heading', { name: 'Spend', level: 2 }).waitFor();
    const line = page.getByText(/^agent asker, monthly soft: [\d,]+ tokens of 1,000,000 tokens/);
    await line.waitFor();
  });

  it('is usable by keyboard: a skip link first, a visible focus ring, menu links in order', async () => {
    await open(page, '#/overview', 'Overview');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    // The skip link moves focus, not the route (the hash is the route).
    expect(new URL(page.url()).hash).toBe('#/overview');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    // Down the menu by Tab and into a page with Enter.
    await page.getByRole('link', { name: 'Tasks' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
  });

  it('reads on a 390 px phone: no page scrolls sideways', async () => {
    const phone = await loggedIn({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    for (const [hash, heading] of PAGES) {
      await open(phone.page, hash, heading);
      await loaded(phone.page);
      const wide = await phone.page.evaluate(() => ({
        width: document.documentElement.scrollWidth,
        // What sticks out, for the failure message (a wide table scrolls inside its own region).
        over: Array.from(document.querySelectorAll('body *'))
          .filter((el) => el.getBoundingClientRect().right > 391 && el.closest('.table-wrap') === null)
          .slice(0, 5)
          .map((el) => `${el.tagName}.${el.className}: ${(el.textContent ?? '').slice(0, 40)}`),
      }));
      expect({ page: hash, ...wide }).toEqual({ page: hash, width: 390, over: [] });
      await screenshot(phone.page, `phone-${hash.slice(2)}`);
    }
    await phone.ctx.close();
  });

  it('showed no console error and no CSP violation on any page', () => {
    expect(problems).toEqual([]);
  });
});
