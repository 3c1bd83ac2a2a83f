/**
 * The two HTML documents the server writes itself: the app shell (which carries the session's
 * CSRF token for the page's script) and the login page (no script at all). Everything else the
 * page shows is drawn by the bundle in dist/web from /api calls.
 */

const escapeAttr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const head = (title: string, extra = ''): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
  `<meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<meta name="color-scheme" content="light dark"><title>${title}</title>` +
  `<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">` +
  `<link rel="stylesheet" href="/assets/app.css">${extra}</head>`;

export function appShell(csrf: string, version: string): string {
  return (
    head(
      'AgentForge',
      `<meta name="csrf-token" content="${escapeAttr(csrf)}">` +
        `<script type="module" src="/assets/app.js?v=${escapeAttr(version)}"></script>`,
    ) +
    `<body><div id="app"><main class="boot"><p>Loading the dashboard…</p></main></div>` +
    `<noscript><p class="boot">The dashboard needs JavaScript. The CLI does everything too: agentforge --help</p></noscript></body></html>`
  );
}

export type LoginState = 'signed-out' | 'bad-link';

export function loginPage(state: LoginState): string {
  const lead =
    state === 'bad-link'
      ? '<p role="alert">That login link has expired or was already used. Links work once, for a few minutes.</p>'
      : '<p>You are not logged in (or your session ended).</p>';
  return (
    head('Log in · AgentForge') +
    `<body><main class="login"><h1>AgentForge</h1>${lead}` +
    `<p>On the machine that runs the daemon, run:</p><pre><code>agentforge dashboard</code></pre>` +
    `<p>and open the link it prints (<code>agentforge dashboard --open</code> opens it for you).</p>` +
    `</main></body></html>`
  );
}

export function notBuiltPage(dir: string): string {
  return (
    head('AgentForge') +
    `<body><main class="login"><h1>Dashboard not built</h1>` +
    `<p>No dashboard files in <code>${escapeAttr(dir)}</code>. Build them with <code>npm run build</code> and restart the daemon.</p></main></body></html>`
  );
}
