/** Backups: the list, taking one now, and verifying one (hashes, integrity, trial restore). */
import { useState } from 'preact/hooks';
import { enc, post } from '../api.js';
import { bytes, when } from '../format.js';
import { useGet } from '../hooks.js';
import type { Backup, VerifyReport } from '../types.js';
import { Action, Badge, Empty, ErrorNote, Loading, TableWrap } from '../ui.js';

export function Backups() {
  const list = useGet<{ backups: Backup[] }>('/api/backups');
  const [reports, setReports] = useState<Record<string, VerifyReport>>({});
  const verify = async (name: string): Promise<void> => {
    const r = await post<VerifyReport>(`/api/backups/${enc(name)}/verify`);
    setReports((prev) => ({ ...prev, [name]: r }));
  };
  return (
    <>
      <h1>Backups</h1>
      <div class="actions panel">
        <Action label="Back up now" run={() => post('/api/backups')} done={list.reload} />
        <span class="muted">
          Every database, the config and the group folders. The API token is never included.
        </span>
      </div>
      <ErrorNote error={list.error} />
      {list.data === undefined ? (
        <Loading what="backups" />
      ) : list.data.backups.length === 0 ? (
        <Empty title="No backups yet.">
          Take one with “Back up now” or <code>agentforge backup create</code>; the daemon also takes them on
          the <code>[backup] schedule</code>.
        </Empty>
      ) : (
        <TableWrap label="Backups">
          <table>
            <thead>
              <tr>
                <th scope="col">Backup</th>
                <th scope="col">Taken</th>
                <th scope="col">Size</th>
                <th scope="col">Check</th>
              </tr>
            </thead>
            <tbody>
              {list.data.backups.map((b) => {
                const r = reports[b.name];
                return (
                  <tr key={b.name}>
                    <td>
                      <code>{b.name}</code>
                    </td>
                    <td>{when(b.createdAt)}</td>
                    <td>
                      {b.files} files, {bytes(b.bytes)}
                    </td>
                    <td>
                      <div class="actions">
                        <Action
                          label="Verify"
                          kind="secondary"
                          ariaLabel={`Verify backup ${b.name}`}
                          run={() => verify(b.name)}
                        />
                        {r === undefined ? null : r.ok ? (
                          <Badge tone="ok">verified, {r.files} files</Badge>
                        ) : (
                          <Badge tone="bad">
                            {r.problems.map((p) => `${p.file}: ${p.problem}`).join('; ')}
                          </Badge>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
