/**
 * The bubblewrap command line one agent runs under. The agent sees the system read-only (/usr,
 * /etc without the shadow files, the merged-/usr links), its own workspace and state directory
 * read-write at their real paths, the install of its command (and of the Node running it, and of
 * AgentForge itself for the stdio MCP bridge) read-only, the operator's extra paths, a private
 * /tmp, a minimal /dev and a /proc of its own pid namespace. The AgentForge home (api.token,
 * agentforge.db, other groups), the rest of the operator's home and every other process are not
 * there at all. --unshare-pid + --die-with-parent: the agent's whole process tree, `setsid`
 * children included, ends with the sandbox, and the sandbox ends with the daemon.
 */
import { closeSync, existsSync, lstatSync, openSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { sandboxPathProblem, within, type SandboxGuard } from '../config/sandbox-paths.js';
import { resolveCommand } from './agents.js';
import { DAEMON_BIN } from '../install-paths.js';

/** Shown read-only as they are; symlinks (merged /usr) are recreated as symlinks. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];
/** Readable by root, and a daemon run as root runs its agents as uid 0: masked. */
const MASKED_FILES = ['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-'];
/** The kernel's knobs under the sandbox's own /proc: read-only, or uid 0 could still write them. */
const PROC_READ_ONLY = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus'];

/** AgentForge's own install (bin/ and dist/ and node_modules), for `agentforge mcp-bridge`. */

export type SandboxPlan = {
  readonly bwrap: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly workspace: string;
  readonly stateDir: string;
  /** The agent's environment (PATH finds the command and a script's interpreter). */
  readonly env: Readonly<Record<string, string>>;
  readonly readOnly: readonly string[];
  readonly readWrite: readonly string[];
  readonly guard: SandboxGuard;
  /** The Node the daemon runs on (the stdio MCP bridge runs it). */
  readonly execPath?: string;
};

export type SandboxedCommand = {
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string>;
};

function isSystem(path: string): boolean {
  return SYSTEM_DIRS.some((d) => within(path, d));
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The directory to show for an executable or script at `file`: the topmost node_modules it lies
 * in (its dependencies are hoisted there), else the nearest package root, else the prefix of a
 * bin/ directory, else its directory; the file alone when that directory is not safe to show.
 */
export function installRoot(file: string, guard: SandboxGuard): string | undefined {
  if (!isAbsolute(file) || isSystem(file)) return undefined;
  // `a/link/../b` means something else to the kernel (the link first) than to a lexical check:
  // a path that is not already normal is not shown at all (resolved commands always are).
  if (normalize(file) !== file) return undefined;
  const parts = file.split(sep);
  const nm = parts.indexOf('node_modules');
  const candidates: string[] = [];
  if (nm > 0) candidates.push(parts.slice(0, nm + 1).join(sep));
  for (let d = dirname(file); d !== sep && d !== '.'; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) {
      candidates.push(d);
      break;
    }
  }
  const dir = dirname(file);
  candidates.push(dir.endsWith(`${sep}bin`) ? dirname(dir) : dir, dir);
  for (const c of candidates) if (sandboxPathProblem(c, guard) === undefined) return c;
  return sandboxPathProblem(file, guard) === undefined ? file : undefined;
}

/** The interpreter a script names in its `#!` line (through `env`, with -S), if any. */
export function shebangInterpreter(file: string): string | undefined {
  let head: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(256);
      head = buf.subarray(0, readSync(fd, buf, 0, 256, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (!head.startsWith('#!')) return undefined;
  const words = (head.slice(2).split('\n')[0] ?? '').trim().split(/\s+/);
  if (words[0] !== undefined && /(^|\/)env$/.test(words[0])) {
    return words.slice(1).find((w) => !w.startsWith('-') && !w.includes('='));
  }
  return words[0];
}

/** Every install directory the agent command needs, as it is and through its symlinks. */
export function commandRoots(plan: SandboxPlan, resolved: string): string[] {
  const path = plan.env['PATH'] ?? '';
  const files = new Set<string>();
  const add = (f: string | undefined): void => {
    if (f === undefined || !isAbsolute(f)) return;
    files.add(f);
    files.add(realOr(f));
  };
  add(resolved);
  const interp = shebangInterpreter(realOr(resolved));
  if (interp !== undefined) add(isAbsolute(interp) ? interp : resolveCommand(interp, path));
  for (const a of plan.args) if (isAbsolute(a) && existsSync(a)) add(a);
  add(plan.execPath ?? process.execPath);
  add(DAEMON_BIN);
  const roots = [...files].map((f) => installRoot(f, plan.guard)).filter((r): r is string => r !== undefined);
  // Drop a root that another one already contains.
  return [...new Set(roots)].filter((r) => !roots.some((o) => o !== r && within(r, o)));
}

function systemArgs(): string[] {
  const args: string[] = [];
  for (const d of SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(d);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(d), d);
    else if (st.isDirectory()) args.push('--ro-bind', d, d);
  }
  for (const f of MASKED_FILES) if (existsSync(f)) args.push('--ro-bind', '/dev/null', f);
  // /etc/resolv.conf may point outside /etc (systemd-resolved: /run/systemd/resolve).
  const resolv = realOr('/etc/resolv.conf');
  if (resolv !== '/etc/resolv.conf' && !isSystem(resolv) && existsSync(resolv))
    args.push('--ro-bind', dirname(resolv), dirname(resolv));
  return args;
}

/** bwrap + its arguments + the command, and the environment as the agent sees it. */
export function sandboxCommand(plan: SandboxPlan): SandboxedCommand {
  const resolved = resolveCommand(plan.command, plan.env['PATH'] ?? '');
  // Not found: let the spawn fail the usual way (kind `spawn`, "is it installed and on PATH?").
  const command = resolved ?? plan.command;
  const args = [
    '--die-with-parent',
    '--unshare-pid',
    // A daemon run as root would hand its agent every capability inside the namespaces.
    '--cap-drop',
    'ALL',
    ...systemArgs(),
    '--proc',
    '/proc',
    ...PROC_READ_ONLY.flatMap((p) => ['--ro-bind-try', p, p]),
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
  ];
  const ro = resolved === undefined ? [] : commandRoots(plan, resolved);
  for (const p of [...ro, ...plan.readOnly]) args.push('--ro-bind', p, p);
  for (const p of plan.readWrite) args.push('--bind', p, p);
  args.push('--bind', plan.stateDir, plan.stateDir, '--bind', plan.workspace, plan.workspace);
  args.push('--chdir', plan.workspace, '--', command, ...plan.args);
  // HOME is the state directory: whatever the adapter keeps under ~ persists there, and the
  // operator's real home is not there to be used.
  const env = { ...plan.env, HOME: plan.stateDir, TMPDIR: '/tmp' };
  return { command: plan.bwrap, args, env };
}
