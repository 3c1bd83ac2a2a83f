/**
 * The `agentforge` command line: argv → command → (usually) a request to the daemon's socket.
 * Every command returns an exit code; errors print one line saying what failed and what to do.
 */
import { Command, CommanderError, Option } from 'commander';
import { BUILD } from '../version.js';
import { createCtx, type Ctx } from './context.js';
import { CliError, EXIT } from './exit-codes.js';
import { createOut, type OutputFormat } from './output.js';

type Register = (program: Command, ctx: () => Ctx) => void;

/**
 * Which module registers which top-level command. Only the module of the command being run is
 * loaded (help, an unknown or no command load them all), so `status` does not pay for `chat`'s
 * readline, `doctor`'s checks or the daemon: the CLI's start-up is most of a short command's time.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  init: async () => (await import('./commands/basics.js')).registerBasics,
  status: async () => (await import('./commands/basics.js')).registerBasics,
  version: async () => (await import('./commands/basics.js')).registerBasics,
  daemon: async () => (await import('./commands/daemon.js')).registerDaemon,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctor,
  config: async () => (await import('./commands/config.js')).registerConfig,
  logs: async () => (await import('./commands/logs.js')).registerLogs,
  session: async () => (await import('./commands/session.js')).registerSession,
  agent: async () => (await import('./commands/agent.js')).registerAgent,
  chat: async () => (await import('./commands/agent.js')).registerAgent,
  group: async () => (await import('./commands/group.js')).registerGroup,
  send: async () => (await import('./commands/group.js')).registerGroup,
  task: async () => (await import('./commands/task.js')).registerTask,
  'mcp-bridge': async () => (await import('./commands/mcp-bridge.js')).registerMcpBridge,
  service: async () => (await import('./commands/service.js')).registerService,
  backup: async () => (await import('./commands/backup.js')).registerBackup,
  dashboard: async () => (await import('./commands/dashboard.js')).registerDashboard,
  outbox: async () => (await import('./commands/outbox.js')).registerOutbox,
  usage: async () => (await import('./commands/usage.js')).registerUsage,
};

/** The command word: the first argument that is not the global `-o`/`--output` option. */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-o' || a === '--output')
      i++; // its value follows
    else if (a.startsWith('--output=') || /^-o./.test(a)) continue;
    else return a.startsWith('-') ? undefined : a; // -h, -V, --help: everything is needed
  }
  return undefined;
}

/** The registrars to run, in the order help lists them: one for a known command, else all. */
async function registrars(args: readonly string[]): Promise<Register[]> {
  const word = commandWord(args);
  const one = word !== undefined && Object.hasOwn(COMMANDS, word) ? COMMANDS[word] : undefined;
  if (one !== undefined) return [await one()];
  return [...new Set(await Promise.all(Object.values(COMMANDS).map((load) => load())))];
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // `agentforge status | head -3`: a reader that goes away is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const program = new Command('agentforge')
    .description('AgentForge: a durable, local-first runtime for AI agents')
    .version(`${BUILD.version} (${BUILD.gitSha})`, '-V, --version')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['human', 'json']).default('human'),
    )
    .showSuggestionAfterError()
    .exitOverride();

  let ctx: Ctx | undefined;
  const getCtx = (): Ctx => {
    ctx ??= createCtx(createOut(program.opts<{ output: OutputFormat }>().output), env);
    return ctx;
  };
  for (const register of await registrars(argv.slice(2))) register(program, getCtx);
  try {
    await program.parseAsync(argv);
    return ctx?.exitCode ?? EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage; // commander already printed what was wrong
    }
    const out = ctx?.out ?? createOut('human');
    if (err instanceof CliError) {
      out.error(err.message);
      return err.exitCode;
    }
    out.error(`${(err as Error).message ?? String(err)}`);
    return EXIT.failure;
  }
}
