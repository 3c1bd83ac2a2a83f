/**
 * Can bubblewrap run here? Probed once per process (the daemon at boot, the CLI's doctor) by
 * running a minimal sandbox with the same namespace flags the agents get, with a short timeout;
 * the answer and its reason are cached and never probed again per turn. When it fails, the reason
 * names what to change: bwrap missing, user namespaces disabled by the kernel, or the settings of
 * the systemd unit the daemon runs under.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolveCommand, type AgentSpec } from './agents.js';

export const PROBE_TIMEOUT_MS = 3_000;

export type SandboxProbe =
  | { readonly ok: true; readonly bwrap: string }
  | { readonly ok: false; readonly reason: string; readonly fix: string };

/** Unit settings that keep bwrap from running, and the values that work (docs/operations.md). */
export const UNIT_SETTINGS_HINT =
  'RestrictNamespaces= must allow "user mnt pid" (or be unset), PrivateUsers=, ProtectKernelTunables=, ProtectProc= and ProcSubset= must be unset (a locked /proc keeps bwrap from mounting its own), and a SystemCallFilter= must allow @mount and unshare; NoNewPrivileges=, ProtectSystem=strict and PrivateTmp= are fine';

const cache = new Map<string, SandboxProbe>();

export function probeSandbox(env: NodeJS.ProcessEnv = process.env): SandboxProbe {
  const key = env['PATH'] ?? '';
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const bwrap = resolveCommand('bwrap', env['PATH'] ?? '');
  const result =
    bwrap === undefined
      ? NOT_INSTALLED
      : judge(
          bwrap,
          spawnSync(bwrap, PROBE_ARGS, {
            ...PROBE_OPTIONS,
            stdio: ['ignore', 'ignore', 'pipe'],
            encoding: 'utf8',
          }),
          env,
        );
  cache.set(key, result);
  return result;
}

/**
 * The same probe without blocking the event loop: the daemon starts it at boot and goes on, so
 * the sandbox's start-up (namespaces, mounts) is not part of the time to ready.
 */
export async function probeSandboxAsync(env: NodeJS.ProcessEnv = process.env): Promise<SandboxProbe> {
  const key = env['PATH'] ?? '';
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const bwrap = resolveCommand('bwrap', env['PATH'] ?? '');
  const result =
    bwrap === undefined
      ? NOT_INSTALLED
      : judge(
          bwrap,
          await new Promise<ProbeRun>((done) => {
            execFile(bwrap, PROBE_ARGS, { ...PROBE_OPTIONS, encoding: 'utf8' }, (err, _out, stderr) => {
              if (err === null) return done({ status: 0, stderr });
              if (typeof err.code === 'number') return done({ status: err.code, stderr });
              done({ status: null, stderr, error: err.killed ? new Error('timed out') : err });
            });
          }),
          env,
        );
  const raced = cache.get(key); // a synchronous probe may have answered meanwhile: one answer
  if (raced !== undefined) return raced;
  cache.set(key, result);
  return result;
}

const PROBE_ARGS = [
  '--ro-bind',
  '/',
  '/',
  '--proc',
  '/proc',
  '--unshare-pid',
  '--die-with-parent',
  '--',
  'true',
];
const PROBE_OPTIONS = { timeout: PROBE_TIMEOUT_MS, env: {} };

const NOT_INSTALLED: SandboxProbe = {
  ok: false,
  reason: 'bubblewrap (bwrap) is not installed or not on PATH',
  fix: 'install it (Debian/Ubuntu: apt-get install bubblewrap)',
};

type ProbeRun = { readonly status: number | null; readonly stderr: string | null; readonly error?: Error };

function judge(bwrap: string, r: ProbeRun, env: NodeJS.ProcessEnv): SandboxProbe {
  if (r.status === 0) return { ok: true, bwrap };
  const said = (r.stderr ?? '').trim().split('\n')[0] ?? '';
  const what =
    r.error !== undefined
      ? `${bwrap} did not run: ${r.error.message}`
      : `${bwrap} fails here${said === '' ? '' : `: ${said}`}`;
  const unit = env['INVOCATION_ID'] !== undefined ? systemdUnit() : undefined;
  if (unit !== undefined) {
    return {
      ok: false,
      reason: `${what} (running under the systemd unit ${unit}, whose settings may forbid namespaces)`,
      fix: `${UNIT_SETTINGS_HINT}; \`agentforge service install\` writes a compatible unit`,
    };
  }
  const userns = kernelUsernsBlock();
  if (userns !== undefined)
    return { ok: false, reason: `${what} (${userns})`, fix: 'enable unprivileged user namespaces' };
  return {
    ok: false,
    reason: what,
    fix: 'check that unprivileged user namespaces work: bwrap --ro-bind / / true',
  };
}

function readNumber(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** The kernel switch that disables user namespaces, when one is off. */
function kernelUsernsBlock(): string | undefined {
  if (readNumber('/proc/sys/user/max_user_namespaces') === 0) return 'user.max_user_namespaces is 0';
  if (process.getuid?.() !== 0 && readNumber('/proc/sys/kernel/unprivileged_userns_clone') === 0)
    return 'kernel.unprivileged_userns_clone is 0';
  if (readNumber('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === 1)
    return 'kernel.apparmor_restrict_unprivileged_userns is 1 (AppArmor confines bwrap)';
  return undefined;
}

/** The unit this process runs in, from its cgroup (e.g. agentforge.service). */
function systemdUnit(): string | undefined {
  try {
    const cg = readFileSync('/proc/self/cgroup', 'utf8');
    const m = /\/([^/\n]+\.service)(?:\/|$)/m.exec(cg);
    return m?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Per agent: sandboxed or not, and why not (status and doctor). */
export type SandboxDecision = {
  readonly agent: string;
  readonly mode: 'auto' | 'bwrap' | 'none';
  readonly sandboxed: boolean;
  readonly reason: string | null;
};

/** How an agent runs given its `sandbox` setting and the probe; `bwrap` that cannot run is an error. */
export function sandboxDecision(spec: AgentSpec, probe: SandboxProbe): SandboxDecision {
  const mode = spec.sandbox.mode;
  if (mode === 'none') return { agent: spec.name, mode, sandboxed: false, reason: 'sandbox = "none"' };
  if (probe.ok) return { agent: spec.name, mode, sandboxed: true, reason: null };
  return { agent: spec.name, mode, sandboxed: false, reason: `${probe.reason}; ${probe.fix}` };
}
