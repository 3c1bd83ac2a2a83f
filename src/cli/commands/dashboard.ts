/**
 * `agentforge dashboard [--open]`: a one-time login link to the web dashboard (POST
 * /api/dashboard/links with the API token), printed and optionally opened in a browser. Also the
 * "dashboard ready" line that `daemon start` and `npm start` print.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

type Link = { url: string; expires_at: string };

export async function dashboardLink(c: Ctx): Promise<Link> {
  return c.call<Link>('POST', '/api/dashboard/links');
}

/**
 * "dashboard ready: <link>" for the operator, or "dashboard off: <why>". Printed only where the
 * operator reads it: `daemon start` in their terminal, `--foreground` when stdout is a TTY. A
 * service's or a detached daemon's stdout is a journal or the log file, where a live login link
 * does not belong (and where every line is JSON).
 */
export async function printDashboardReady(c: Ctx): Promise<void> {
  let link: Link;
  try {
    link = await dashboardLink(c);
  } catch (err) {
    if (err instanceof CliError) {
      c.out.line(`dashboard off: ${err.message}`);
      return;
    }
    throw err;
  }
  c.out.line(
    `dashboard ready: ${link.url} (one-time link, valid until ${new Date(link.expires_at).toLocaleTimeString()})`,
  );
}

/** Hands the link to the desktop's opener; the printed link is the fallback either way. */
function openInBrowser(url: string): Promise<string | undefined> {
  const cmd = process.platform === 'darwin' ? 'open' : 'xdg-open';
  return new Promise((resolve) => {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ENOENT' ? `${cmd} not found` : err.message),
    );
    child.once('spawn', () => {
      child.unref();
      resolve(undefined);
    });
  });
}

export function registerDashboard(program: Command, ctx: () => Ctx): void {
  program
    .command('dashboard')
    .description('print a one-time login link to the web dashboard (valid for [dashboard] link_ttl)')
    .option('--open', 'also open it in the default browser')
    .action(async (opts: { open?: boolean }) => {
      const c = ctx();
      const link = await dashboardLink(c);
      let openError: string | undefined;
      if (opts.open) openError = await openInBrowser(link.url);
      c.out.print({ ...link, opened: opts.open === true && openError === undefined }, (w) => {
        w(link.url);
        w(`one-time link; it works once, until ${new Date(link.expires_at).toLocaleTimeString()}`);
        if (openError !== undefined) w(`could not open a browser (${openError}); open the link yourself`);
      });
      return c.exit(EXIT.ok);
    });
}
