/**
 * The `agentforge` command line: argv → command → (usually) a request to the daemon's socket.
 * Every command returns an exit code; errors print one line saying what failed and what to do.
 */
import { Command, CommanderError, Option } from 'commander';
import { BUILD } from '../version.js';
import { createCtx, type Ctx } from './context.js';
import { CliError, EXIT } from './exit-codes.js';
import { createOut, type OutputFormat } from './output.js';
import { registerBasics } from './commands/basics.js';
import { registerConfig } from './commands/config.js';
import { registerDaemon } from './commands/daemon.js';
import { registerDoctor } from './commands/doctor.js';
import { registerLogs } from './commands/logs.js';
import { registerAgent } from './commands/agent.js';
import { registerSession } from './commands/session.js';
import { registerGroup } from './commands/group.js';
import { registerTask } from './commands/task.js';
import { registerMcpBridge } from './commands/mcp-bridge.js';
import { registerService } from './commands/service.js';
import { registerBackup } from './commands/backup.js';
import { registerUsage } from './commands/usage.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerOutbox } from './commands/outbox.js';

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
  registerBasics(program, getCtx);
  registerDaemon(program, getCtx);
  registerDoctor(program, getCtx);
  registerConfig(program, getCtx);
  registerLogs(program, getCtx);
  registerSession(program, getCtx);
  registerAgent(program, getCtx);
  registerGroup(program, getCtx);
  registerTask(program, getCtx);
  registerMcpBridge(program, getCtx);
  registerService(program, getCtx);
  registerBackup(program, getCtx);
  registerUsage(program, getCtx);
  registerDashboard(program, getCtx);
  registerOutbox(program, getCtx);
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
