/** A config problem: where it is (file:line, key path) and what was expected. */
export type ConfigIssue = {
  readonly file: string;
  readonly line: number | undefined;
  readonly path: string;
  readonly message: string;
};

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly kind = 'config_invalid';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}
