/** What every command needs: the home, its paths, and a way to call the daemon over its socket. */
import { readApiToken } from '../config/home.js';
import type { Config } from '../config/load.js';
import { quickPaths } from '../config/quick-paths.js';
import { resolveHome, type HomePaths } from '../config/paths.js';
import { ConfigError } from '../config/errors.js';
import { DaemonUnreachableError, udsRequest } from '../net/uds-http.js';
import { CliError, EXIT } from './exit-codes.js';
import type { Out } from './output.js';

export type Ctx = {
  readonly home: string;
  readonly out: Out;
  readonly env: NodeJS.ProcessEnv;
  /** Paths, honouring overrides in config when the config loads. */
  readonly paths: () => HomePaths;
  /** The config (loaded on demand: validation is the slow part of start-up), or exit code 6. */
  readonly config: () => Promise<Config>;
  readonly call: <T>(method: string, path: string, body?: unknown) => Promise<T>;
  /** The API token, for streams that do not go through `call`. */
  readonly token: () => string;
  /** Records the command's exit code (main returns it) and passes it through. */
  readonly exit: (code: number) => void;
  readonly exitCode: number;
};

export function createCtx(out: Out, env: NodeJS.ProcessEnv): Ctx {
  const home = resolveHome(env);
  const config = async (): Promise<Config> => {
    const { loadConfig } = await import('../config/load.js');
    try {
      return loadConfig(home);
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message, EXIT.configInvalid);
      throw err;
    }
  };
  const paths = (): HomePaths => quickPaths(home);
  const token = (): string => {
    const p = paths();
    try {
      return readApiToken(p.token);
    } catch {
      throw new CliError(`no API token at ${p.token}; run: agentforge init`, EXIT.notRunning);
    }
  };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const p = paths();
    let res;
    try {
      res = await udsRequest({
        socketPath: p.socket,
        method,
        path,
        token: token(),
        body,
        timeoutMs: 24 * 3_600_000,
      });
    } catch (err) {
      if (err instanceof DaemonUnreachableError)
        throw new CliError(`${err.message}; start it with: agentforge daemon start`, EXIT.notRunning);
      throw err;
    }
    const parsed = safeJson(res.body);
    if (res.status >= 400) {
      const error = (parsed as { error?: { message?: string; kind?: string } } | undefined)?.error;
      const msg =
        error?.message === undefined
          ? `HTTP ${res.status}`
          : error.kind !== undefined
            ? `turn failed (${error.kind}): ${error.message}`
            : error.message;
      throw new CliError(msg, res.status === 400 || res.status === 422 ? EXIT.usage : EXIT.failure);
    }
    return parsed as T;
  };
  let exitCode = 0;
  return {
    home,
    out,
    env,
    paths,
    config,
    call,
    token,
    exit: (code) => {
      exitCode = code;
    },
    get exitCode() {
      return exitCode;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
