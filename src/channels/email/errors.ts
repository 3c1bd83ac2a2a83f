/** Errors of the mail libraries as one line for status and logs. */

/** An error as one line, without credentials (imapflow's errors carry the server's text only). */
export function describe(err: unknown): string {
  const e = err as {
    responseText?: unknown;
    code?: unknown;
    message?: unknown;
    authenticationFailed?: unknown;
  };
  if (e.authenticationFailed === true)
    return 'login failed: the server rejected the user name or password/token';
  const text =
    typeof e.responseText === 'string' && e.responseText !== '' ? e.responseText : String(e.message ?? err);
  return `${typeof e.code === 'string' ? `${e.code}: ` : ''}${text}`.slice(0, 300);
}
