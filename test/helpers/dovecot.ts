/**
 * A real Dovecot (Debian's package) as a plain process for the e-mail tests: 127.0.0.1, random free
 * ports, a temp dir, passwd-file users, Maildir. As root it runs under nobody:nogroup. It is started
 * with `dovecot -F -c <conf>` and stopped by its pid. The config matches `dovecot --version`: 2.3
 * syntax here (Debian 12); 2.4 (Debian 13) wants another syntax, written by config24 below.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { freePort, waitFor } from './harness.js';

const BIN = '/usr/sbin/dovecot';

/** Why the e-mail tests cannot run here, or undefined when Dovecot is installed. */
export function dovecotMissing(): string | undefined {
  if (!existsSync(BIN))
    return 'dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd; .ci/run does it)';
  return undefined;
}

export function dovecotVersion(): string {
  return execFileSync(BIN, ['--version'], { encoding: 'utf8' }).trim();
}

type Ports = { imap: number; imaps: number; lmtp: number };

/** XOAUTH2 logins, checked by POSTing the token to an introspection URL (our fake provider). */
function oauth23(d: string, introspectionUrl: string | undefined): string {
  if (introspectionUrl === undefined) return '';
  writeFileSync(
    join(d, 'oauth2.conf.ext'),
    `introspection_mode = post\nintrospection_url = ${introspectionUrl}\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n`,
  );
  return `auth_mechanisms = plain login xoauth2 oauthbearer
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${d}/oauth2.conf.ext
}
`;
}

function config23(d: string, u: string, g: string, p: Ports, tls: boolean, oauth?: string): string {
  return `${oauth23(d, oauth)}base_dir = ${d}/run
protocols = imap lmtp
listen = 127.0.0.1
ssl = ${tls ? 'yes' : 'no'}
${tls ? `ssl_cert = <${d}/cert.pem\nssl_key = <${d}/key.pem\n` : ''}disable_plaintext_auth = no
default_internal_user = ${u}
default_login_user = ${u}
log_path = ${d}/dovecot.log
mail_location = maildir:~/Maildir
mailbox_idle_check_interval = 1 secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${d}/users
}
userdb {
  driver = static
  args = uid=${u} gid=${g} home=${d}/mail/%u
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${p.imap}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tls ? p.imaps : 0}
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${p.lmtp}
  }
}
`;
}

/** Dovecot 2.4: versioned config, cleartext auth allowed by name, mail_driver/mail_path, %{user}. */
function config24(d: string, u: string, g: string, p: Ports, tls: boolean): string {
  return `dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
base_dir = ${d}/run
protocols = imap lmtp
listen = 127.0.0.1
ssl = ${tls ? 'yes' : 'no'}
${tls ? `ssl_server_cert_file = ${d}/cert.pem\nssl_server_key_file = ${d}/key.pem\n` : ''}auth_allow_cleartext = yes
default_internal_user = ${u}
default_internal_group = ${g}
default_login_user = ${u}
log_path = ${d}/dovecot.log
mail_driver = maildir
mail_path = ~/Maildir
mail_home = ${d}/mail/%{user}
mail_uid = ${u}
mail_gid = ${g}
mailbox_idle_check_interval = 1 secs
passdb passwd-file {
  passwd_file_path = ${d}/users
  default_password_scheme = PLAIN
}
userdb static {
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    listen = 127.0.0.1
    port = ${p.imap}
  }
  inet_listener imaps {
    listen = 127.0.0.1
    port = ${tls ? p.imaps : 0}
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    listen = 127.0.0.1
    port = ${p.lmtp}
  }
}
`;
}

export type Dovecot = {
  readonly dir: string;
  readonly imapPort: number;
  readonly imapsPort: number;
  readonly lmtpPort: number;
  readonly pid: () => number;
  /** A PEM CA (the self-signed cert itself) when started with tls. */
  readonly caFile: string | undefined;
  /** Stops Dovecot and removes its directory. */
  stop(): Promise<void>;
  /** Stops Dovecot, keeping its mail: `start()` brings it back. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** Stops Dovecot, gives the mailbox a new UIDVALIDITY (UIDs renumbered from 1), starts it. */
  renumber(user: string, mailbox: string): Promise<void>;
  client(user: string): Promise<ImapFlow>;
};

export async function startDovecot(opts: {
  users: Record<string, string>;
  tls?: boolean;
  /** Accept XOAUTH2 tokens this URL vouches for (Dovecot 2.3 syntax only). */
  oauthIntrospectionUrl?: string;
}): Promise<Dovecot> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-'));
  const root = process.getuid?.() === 0;
  const user = root
    ? 'nobody'
    : (process.env['USER'] ?? execFileSync('id', ['-un'], { encoding: 'utf8' }).trim());
  const group = root ? 'nogroup' : execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
  const ports: Ports = { imap: await freePort(), imaps: await freePort(), lmtp: await freePort() };
  mkdirSync(join(dir, 'mail'), { recursive: true });
  writeFileSync(
    join(dir, 'users'),
    Object.entries(opts.users)
      .map(([u, pw]) => `${u}:{PLAIN}${pw}::::::\n`)
      .join(''),
  );
  let caFile: string | undefined;
  if (opts.tls === true) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    caFile = join(dir, 'cert.pem');
    chmodSync(join(dir, 'key.pem'), 0o600);
  }
  const v24 = /^2\.4/.test(dovecotVersion());
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    v24
      ? config24(dir, user, group, ports, opts.tls === true)
      : config23(dir, user, group, ports, opts.tls === true, opts.oauthIntrospectionUrl),
  );
  if (root) {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
    chownSync(join(dir, 'mail'), uid, gid);
    chmodSync(dir, 0o755);
  }
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const c = spawn(BIN, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child = c;
    await waitFor(
      async () => {
        if (c.exitCode !== null) throw new Error(`dovecot exited ${c.exitCode}: ${stderr}${readLog(dir)}`);
        return (await greets(ports.imap)) || undefined;
      },
      20_000,
      'dovecot IMAP greeting',
    );
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await exited;
    }
    // Its children (imap, lmtp) exit with the master; wait until the port is free again.
    await waitFor(async () => !(await greets(ports.imap)), 10_000, 'dovecot to stop listening');
  };
  await start();
  const client = async (u: string): Promise<ImapFlow> => {
    const c = new ImapFlow({
      host: '127.0.0.1',
      port: ports.imap,
      secure: false,
      doSTARTTLS: false,
      auth: { user: u, pass: opts.users[u] ?? '' },
      logger: false,
      disableAutoIdle: true,
    });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  return {
    dir,
    imapPort: ports.imap,
    imapsPort: ports.imaps,
    lmtpPort: ports.lmtp,
    caFile,
    pid: () => child?.pid ?? 0,
    start,
    halt: stop,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async renumber(u, mailbox) {
      await stop();
      const mdir = join(dir, 'mail', u, 'Maildir', `.${mailbox}`);
      const list = join(mdir, 'dovecot-uidlist');
      const old = /V(\d+)/.exec(readFileSync(list, 'utf8'))?.[1] ?? '1';
      for (const f of readdirSync(mdir)) if (f.startsWith('dovecot.index')) rmSync(join(mdir, f));
      writeFileSync(list, `3 V${Number(old) + 1000} N1\n`);
      if (root) {
        const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
        chownSync(list, uid, Number(execFileSync('id', ['-g', user], { encoding: 'utf8' })));
      }
      await start();
    },
    client,
  };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'dovecot.log'), 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2_000, () => done(false));
    s.once('data', (b) => done(b.toString().startsWith('* OK')));
    s.once('error', () => done(false));
  });
}
