/** `agentforge doctor`: asks the running daemon, or runs the same checks here when it is down. */
import type { Command } from 'commander';
import { chmodSync, existsSync } from 'node:fs';
import { ConfigError } from '../../config/errors.js';
import { initHome } from '../../config/home.js';
import type { DoctorReport, Finding } from '../../contract.js';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

const MARK: Record<Finding['severity'], string> = {
  ok: 'ok   ',
  info: 'info ',
  warn: 'WARN ',
  error: 'ERROR',
};

export function printFindings(w: (line: string) => void, findings: readonly Finding[]): void {
  for (const f of findings) {
    w(`${MARK[f.severity]} ${f.id.padEnd(22)} ${f.message}`);
    if (f.fix !== undefined && f.severity !== 'ok') w(`      ${''.padEnd(22)} fix: ${f.fix}`);
  }
}

export function doctorExitCode(report: DoctorReport): number {
  if (report.counts.error > 0) return EXIT.doctorErrors;
  if (report.counts.warn > 0) return EXIT.doctorWarnings;
  return EXIT.ok;
}

export function registerDoctor(program: Command, ctx: () => Ctx): void {
  program
    .command('doctor')
    .description('check the home, config, database, disk and daemon; exit 0 ok, 4 warnings, 5 errors')
    .option('--only <id>', 'run one check (or a group, e.g. "db")')
    .option('--fix', 'apply the safe fixes: create missing home files, tighten permissions')
    .action(async (opts: { only?: string; fix?: boolean }) => {
      const c = ctx();
      if (opts.fix) applyFixes(c);
      const report = await doctorReport(c, opts.only);
      if (opts.only !== undefined && report.findings.length === 0) {
        throw new CliError(
          `no check with id "${opts.only}"; run agentforge doctor -o json to list them`,
          EXIT.usage,
        );
      }
      c.out.print(report, (w) => {
        printFindings(w, report.findings);
        w(`${report.counts.error} error(s), ${report.counts.warn} warning(s)`);
      });
      return c.exit(doctorExitCode(report));
    });
}

async function doctorReport(c: Ctx, only: string | undefined): Promise<DoctorReport> {
  const query = only === undefined ? '' : `?only=${encodeURIComponent(only)}`;
  try {
    return await c.call<DoctorReport>('GET', `/api/doctor${query}`);
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode !== EXIT.notRunning) throw err;
  }
  const [{ loadConfig }, { runDoctor }] = await Promise.all([
    import('../../config/load.js'),
    import('../../ops/doctor/run.js'),
  ]);
  let config;
  try {
    config = loadConfig(c.home);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    config = err;
  }
  return runDoctor(
    { paths: c.paths(), config, inDaemon: false, uid: process.getuid?.(), env: c.env },
    undefined,
    only,
  );
}

/** Only fixes that cannot lose data: create what is missing, remove others' access. */
function applyFixes(c: Ctx): void {
  const { paths } = initHome(c.home);
  chmodSync(paths.home, 0o700);
  for (const f of [paths.token, paths.config]) if (existsSync(f)) chmodSync(f, 0o600);
  c.out.error(`applied safe fixes in ${paths.home}`);
}
