/**
 * The dashboard's budgets (issue 17): the first page's bytes as served (gzipped) and the time from
 * opening the login link to the Overview drawn, in Debian's Chromium on loopback. Skipped with a
 * note where there is no Chromium.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { chromium } from 'playwright-core';
import { benchHome, cli, percentile, round, startForeground, stop, waitReady } from './lib.js';
import { freePort } from '../test/helpers/harness.js';

const CHROMIUM = process.env['AF_CHROMIUM'] ?? '/usr/bin/chromium';

/** Bytes on the wire of one GET (compressed when the server compresses), with the session cookie. */
function wireBytes(port: number, path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { cookie, 'accept-encoding': 'gzip' } },
      (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(res.statusCode === 200 ? n : Number.NaN));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function dashboardBudget(
  runs: number,
): Promise<{ firstPageKb: number; firstRenderMedianMs: number; firstRenderMaxMs: number } | null> {
  if (!existsSync(CHROMIUM)) return null;
  const port = await freePort();
  const h = benchHome(`[http]\nport = ${port}\n`);
  const d = startForeground(h);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    await waitReady(h);
    const link = async (): Promise<string> =>
      (JSON.parse((await cli(h, ['dashboard', '-o', 'json'])).stdout) as { url: string }).url;
    const times: number[] = [];
    // Logged in once (the link is spent on the first visit); each run then opens the dashboard
    // in a fresh tab, as an operator coming back to it does. Run 0 warms the daemon and is dropped.
    const ctx = await browser.newContext();
    const login = await ctx.newPage();
    await login.goto(await link());
    await login.close();
    const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const sizes = await Promise.all(
      ['/', '/assets/app.js', '/assets/app.css', '/assets/icon.svg', '/api/status'].map((p) =>
        wireBytes(port, p, cookie),
      ),
    );
    const firstPage = sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i <= runs; i++) {
      const page = await ctx.newPage();
      await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'commit' });
      // performance.now() counts from the start of this navigation.
      const drawn = await page.waitForFunction(() => {
        // Typed by hand: bench/ is type-checked without the DOM library.
        type Doc = { querySelector(sel: string): { textContent: string | null } | null };
        const doc = (globalThis as unknown as { document: Doc }).document;
        const drawnNow =
          doc.querySelector('h1')?.textContent === 'Overview' && doc.querySelector('.card') !== null;
        return drawnNow ? performance.now() : false;
      });
      if (i > 0) times.push((await drawn.jsonValue()) as number);
      await page.close();
    }
    await ctx.close();
    times.sort((a, b) => a - b);
    return {
      firstPageKb: round(firstPage / 1024, 1),
      firstRenderMedianMs: round(percentile(times, 50), 1),
      firstRenderMaxMs: round(times[times.length - 1] ?? 0, 1),
    };
  } finally {
    await browser.close();
    await stop(d);
    h.cleanup();
  }
}
