/**
 * One live agent: the child process plus an ACP client connection (the official SDK's `client()`
 * builder) with our handlers for updates, permissions and workspace files. Starting it runs the
 * handshake: initialize → session/load (when resuming and supported) or session/new.
 */
import {
  client,
  PROTOCOL_VERSION,
  RequestError,
  type AgentCapabilities,
  type ClientConnection,
  type McpServer,
  type InitializeResponse,
  type RequestPermissionRequest,
  type RequestPermissionResponse,
  type SessionModeState,
  type SessionNotification,
} from '@agentclientprotocol/sdk';
import { WorkspaceAccessError } from '../workspace-fs.js';
import { describeAgentError, SessionError } from '../errors.js';
import { childStream } from './ndjson.js';
import { spawnAgentProcess, stopAgentProcess, type AgentProcess } from './process.js';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;

export type AgentHooks = {
  readonly onUpdate: (n: SessionNotification) => void;
  readonly onPermission: (req: RequestPermissionRequest) => Promise<RequestPermissionResponse>;
  /** Async: file I/O for an agent never blocks the event loop (a FIFO or a huge file would freeze the daemon). */
  readonly readFile: (path: string, line?: number | null, limit?: number | null) => Promise<string>;
  readonly writeFile: (path: string, content: string) => Promise<void>;
  /** Garbage on stdout, an over-long line: the agent broke the protocol. */
  readonly onViolation: (why: string) => void;
  readonly onBytes: (n: number) => void;
  readonly onStderr: (text: string) => void;
};

export type StartOptions = {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly resumeAcpSessionId: string | null;
  readonly handshakeTimeoutMs?: number; // DEFAULT_HANDSHAKE_TIMEOUT_MS
  readonly hooks: AgentHooks;
  /** MCP servers offered to the agent, chosen once its capabilities (http or stdio) are known. */
  readonly mcpServers?: (caps: AgentCapabilities | undefined) => McpServer[];
  /** The session mode that makes the agent ask us what permission_mode decides (see agents.ts). */
  readonly mode?: ModeChoice;
  readonly clientFs?: { readonly readTextFile: boolean; readonly writeTextFile: boolean };
};

export type ModeChoice = {
  /** The mode id to select, or null to leave the agent's own. */
  readonly modeId: string | null;
  /** When true and the agent does not offer modeId, the start fails (kind `policy`). */
  readonly required: boolean;
  /** The permission_mode this choice serves, for the error text. */
  readonly policy: string;
};

export type ModeInfo = { readonly available: readonly string[]; readonly current: string | null };

/** Why an earlier ACP session could not be restored; the session went on as a fresh one. */
export type ResumeFailure = { readonly message: string; readonly data: unknown };

export type LiveAgent = {
  readonly proc: AgentProcess;
  readonly conn: ClientConnection;
  readonly init: InitializeResponse;
  /** The ACP session in use; changes when startFresh() replaces a loaded one that does not work. */
  readonly acpSessionId: string;
  /** True when the agent restored the previous ACP session (session/load). */
  readonly resumed: boolean;
  /**
   * Replaces the session with a new one (session/new, mode applied again) on the same process:
   * for a load the agent accepted but cannot prompt (codex: "thread not found").
   */
  readonly startFresh: () => Promise<string>;
  /** Set when a resume was asked for but the agent could not load it: a fresh session was started. */
  readonly resumeFailure: ResumeFailure | undefined;
  /** The session modes the agent offers and the one in force after the handshake. */
  readonly modes: ModeInfo;
  readonly stop: (graceMs?: number, polite?: boolean) => Promise<void>;
};

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} got no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * An fs/* refusal as the agent should read it, from the SDK's factories: a path that does not
 * exist is "resource not found", a path outside the workspace (or too large, or not a file) is the
 * agent's invalid params, and only a fault of ours is an internal error.
 */
function fsRequestError(err: unknown, path: string): RequestError {
  if (err instanceof RequestError) return err;
  const code = err instanceof WorkspaceAccessError ? err.errno : (err as NodeJS.ErrnoException).code;
  const message = (err as Error).message ?? String(err);
  if (code === 'ENOENT') return RequestError.resourceNotFound(path);
  if (
    err instanceof WorkspaceAccessError ||
    ['EACCES', 'EISDIR', 'ENOTDIR', 'ELOOP', 'EPERM'].includes(code ?? '')
  )
    return RequestError.invalidParams({ path, reason: message }, message);
  return RequestError.internalError({ path, details: message });
}

export async function startAgent(opts: StartOptions): Promise<LiveAgent> {
  let proc: AgentProcess;
  try {
    proc = await spawnAgentProcess({ command: opts.command, args: opts.args, cwd: opts.cwd, env: opts.env });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? `; is ${opts.command} installed and on PATH?` : '';
    throw new SessionError(
      'spawn',
      `cannot start agent command ${opts.command}: ${code ?? (err as Error).message}${hint}`,
      { cause: err },
    );
  }
  const { hooks } = opts;
  proc.child.stdin.on('error', () => undefined); // EPIPE when the agent dies; the exit handler reports it
  proc.child.stderr.setEncoding('utf8');
  proc.child.stderr.on('data', (t: string) => hooks.onStderr(t));

  const app = client({ name: 'agentforge' })
    .onNotification('session/update', ({ params }) => hooks.onUpdate(params))
    .onRequest('session/request_permission', ({ params }) => hooks.onPermission(params))
    .onRequest('fs/read_text_file', async ({ params }) => {
      try {
        return { content: await hooks.readFile(params.path, params.line, params.limit) };
      } catch (err) {
        throw fsRequestError(err, params.path);
      }
    })
    .onRequest('fs/write_text_file', async ({ params }) => {
      try {
        await hooks.writeFile(params.path, params.content);
        return {};
      } catch (err) {
        throw fsRequestError(err, params.path);
      }
    });
  const conn = app.connect(
    childStream(proc.child.stdout, proc.child.stdin, {
      onViolation: hooks.onViolation,
      onBytes: hooks.onBytes,
    }),
  );
  // A dead agent must not leave callers waiting: closing the connection rejects every pending call.
  void proc.exited.then(({ code, signal }) =>
    conn.close(new SessionError('exited', `agent exited (${signal ?? `code ${code}`})`)),
  );

  const stop = async (graceMs?: number, polite = true): Promise<void> => {
    conn.close();
    await stopAgentProcess(proc, graceMs, polite);
  };
  const timeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  try {
    const init = await withTimeout(
      conn.agent.request('initialize', {
        protocolVersion: PROTOCOL_VERSION,
        clientCapabilities: {
          fs: { ...(opts.clientFs ?? { readTextFile: true, writeTextFile: true }) },
          terminal: false,
        },
        clientInfo: { name: 'agentforge', version: '1' },
      }),
      timeoutMs,
      'initialize',
    );
    const mcpServers = opts.mcpServers?.(init.agentCapabilities) ?? [];
    const opened = await openSession(conn, opts, init, mcpServers, timeoutMs);
    const modes = await applyMode(conn, opened.acpSessionId, opened.modes, opts.mode, timeoutMs);
    let acpSessionId = opened.acpSessionId;
    return {
      proc,
      conn,
      init,
      get acpSessionId() {
        return acpSessionId;
      },
      resumed: opened.resumed,
      resumeFailure: opened.resumeFailure,
      modes,
      stop,
      startFresh: async () => {
        const res = await withTimeout(
          conn.agent.request('session/new', { cwd: opts.cwd, mcpServers }),
          timeoutMs,
          'session/new',
        );
        await applyMode(conn, res.sessionId, res.modes, opts.mode, timeoutMs);
        acpSessionId = res.sessionId;
        return acpSessionId;
      },
    };
  } catch (err) {
    await stop(500, false);
    if (err instanceof SessionError) throw err;
    throw new SessionError('handshake', `agent handshake failed: ${describeAgentError(err)}`, { cause: err });
  }
}

type Opened = {
  acpSessionId: string;
  resumed: boolean;
  resumeFailure: ResumeFailure | undefined;
  modes: SessionModeState | null | undefined;
};

/**
 * session/load when resuming, else session/new. A load that fails (the adapter lost or never kept
 * the session) or an agent that cannot load falls back to a fresh session: a resume must never
 * leave the AgentForge session dead. The caller records the failure and tells the chat.
 */
async function openSession(
  conn: ClientConnection,
  opts: StartOptions,
  init: InitializeResponse,
  mcpServers: McpServer[],
  timeoutMs: number,
): Promise<Opened> {
  let resumeFailure: ResumeFailure | undefined;
  const resumeId = opts.resumeAcpSessionId;
  if (resumeId !== null && init.agentCapabilities?.loadSession === true) {
    try {
      const res = await withTimeout(
        conn.agent.request('session/load', { sessionId: resumeId, cwd: opts.cwd, mcpServers }),
        timeoutMs,
        'session/load',
      );
      return { acpSessionId: resumeId, resumed: true, resumeFailure: undefined, modes: res?.modes };
    } catch (err) {
      if (!(err instanceof RequestError)) throw err; // a dead or silent agent: no fresh start either
      resumeFailure = { message: describeAgentError(err), data: err.data ?? null };
    }
  } else if (resumeId !== null) {
    resumeFailure = { message: 'the agent does not support session/load', data: null };
  }
  const res = await withTimeout(
    conn.agent.request('session/new', { cwd: opts.cwd, mcpServers }),
    timeoutMs,
    'session/new',
  );
  return { acpSessionId: res.sessionId, resumed: false, resumeFailure, modes: res.modes };
}

/**
 * Puts the agent into the mode the permission policy needs. Real adapters start in automatic
 * modes that never ask the client (issue: deny-all was bypassed), so a required mode the agent
 * does not offer stops the start instead of running unrestricted.
 */
async function applyMode(
  conn: ClientConnection,
  sessionId: string,
  state: SessionModeState | null | undefined,
  choice: ModeChoice | undefined,
  timeoutMs: number,
): Promise<ModeInfo> {
  const available = state?.availableModes.map((m) => m.id) ?? [];
  const current = state?.currentModeId ?? null;
  if (choice === undefined || choice.modeId === null) return { available, current };
  if (!available.includes(choice.modeId)) {
    if (!choice.required) return { available, current };
    throw new SessionError(
      'policy',
      `the agent offers no session mode "${choice.modeId}" (it offers: ${available.join(', ') || 'none'}), ` +
        `which permission_mode = "${choice.policy}" needs; refusing to run it unrestricted. ` +
        `Set [agents.NAME] session_mode to a mode that asks for permission, or use permission_mode = "approve-all"`,
    );
  }
  if (current !== choice.modeId) {
    await withTimeout(
      conn.agent.request('session/set_mode', { sessionId, modeId: choice.modeId }),
      timeoutMs,
      'session/set_mode',
    );
  }
  return { available, current: choice.modeId };
}
