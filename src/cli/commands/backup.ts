/** `agentforge backup create|list|verify|restore`. Works with the daemon up or down. */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes } from '../output.js';

async function locate(c: Ctx, ref: string | undefined): Promise<string> {
  const { listBackups } = await import('../../ops/backup.js');
  const backups = c.paths().backups;
  if (ref === undefined) {
    const newest = listBackups(backups)[0];
    if (newest === undefined)
      throw new CliError(`no backups in ${backups}; make one with: agentforge backup create`);
    return newest.dir;
  }
  const dir = isAbsolute(ref) || ref.includes('/') ? resolve(ref) : join(backups, ref);
  if (!existsSync(dir)) throw new CliError(`no backup at ${dir}; see: agentforge backup list`);
  return dir;
}

export function registerBackup(program: Command, ctx: () => Ctx): void {
  const backup = program.command('backup').description('snapshots of every database, the config and groups/');

  backup
    .command('create')
    .description('take a backup now (safe while the daemon runs) and keep the newest [backup] keep')
    .action(async () => {
      const c = ctx();
      const config = await c.config();
      const { createBackup, pruneBackups } = await import('../../ops/backup.js');
      const info = await createBackup(config.paths);
      const pruned = pruneBackups(config.paths.backups, config.backup.keep);
      c.out.print({ ...info, pruned }, (w) =>
        w(
          `backup ${info.name}: ${info.files} files, ${formatBytes(info.bytes)}${pruned.length ? `; pruned ${pruned.length} old` : ''}`,
        ),
      );
      return c.exit(EXIT.ok);
    });

  backup
    .command('list')
    .description('list backups, newest first')
    .action(async () => {
      const c = ctx();
      const { listBackups } = await import('../../ops/backup.js');
      const list = listBackups(c.paths().backups);
      c.out.print({ backups: list }, (w) => {
        if (list.length === 0) w('no backups yet');
        for (const b of list) w(`${b.name}  ${b.createdAt}  ${b.files} files  ${formatBytes(b.bytes)}`);
      });
      return c.exit(EXIT.ok);
    });

  backup
    .command('verify [backup]')
    .description(
      're-hash every file, integrity_check every database, trial-restore and run doctor (default: newest)',
    )
    .action(async (ref: string | undefined) => {
      const c = ctx();
      const { verifyBackup } = await import('../../ops/restore.js');
      const report = await verifyBackup(await locate(c, ref));
      c.out.print(report, (w) => {
        w(report.ok ? `${report.dir}: OK (${report.files} files)` : `${report.dir}: FAILED`);
        for (const p of report.problems) w(`  ${p.file}: ${p.problem}`);
      });
      return c.exit(report.ok ? EXIT.ok : EXIT.failure);
    });

  backup
    .command('restore <backup>')
    .description('restore into an empty home (default: $AGENTFORGE_HOME); makes a new API token')
    .option('--to <dir>', 'the new home to restore into')
    .action(async (ref: string, o: { to?: string }) => {
      const c = ctx();
      const { RestoreError, restoreBackup } = await import('../../ops/restore.js');
      const dir = await locate(c, ref);
      const home = o.to === undefined ? c.home : resolve(o.to);
      try {
        const r = restoreBackup(dir, home);
        c.out.print({ restored: dir, home, files: r.files }, (w) => {
          w(`restored ${r.files} files into ${home}`);
          w(`next: AGENTFORGE_HOME=${home} agentforge daemon check && agentforge daemon start`);
        });
      } catch (err) {
        if (err instanceof RestoreError) throw new CliError(err.message);
        throw err;
      }
      return c.exit(EXIT.ok);
    });
}
