import { Failure, type FailureKind } from '../failures.js';

export type { FailureKind };

/** A session's turn or agent failed; the kind says who failed (failures.ts). */
export class SessionError extends Failure {
  override readonly name = 'SessionError';
}

/** Misuse by the caller (unknown session, bad state): not a failure of the agent. */
export class SessionRequestError extends Error {
  override readonly name = 'SessionRequestError';
  constructor(
    readonly code:
      | 'session_not_found'
      | 'agent_not_found'
      | 'session_removed'
      | 'no_pending_permission'
      | 'queue_full'
      | 'invalid_request',
    message: string,
  ) {
    super(message);
  }
}

/**
 * An agent's JSON-RPC error as the operator should read it: the message plus what the adapter put
 * in `data` (its real reason, e.g. "Invalid session identifier …" behind a bare "Internal error").
 * Duck-typed so this module does not load the ACP SDK.
 */
export function describeAgentError(err: unknown): string {
  const message = (err as Error | undefined)?.message ?? String(err);
  const data = (err as { data?: unknown } | undefined)?.data;
  if (data === undefined || data === null) return message;
  const details =
    typeof data === 'string'
      ? data
      : typeof (data as { details?: unknown }).details === 'string'
        ? (data as { details: string }).details
        : JSON.stringify(data);
  if (details === undefined || details === '' || message.includes(details)) return message;
  return `${message}: ${details.length > 500 ? `${details.slice(0, 500)}…` : details}`;
}
