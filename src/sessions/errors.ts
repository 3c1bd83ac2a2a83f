/**
 * Why a turn or a session failed, by who failed. The kind is stored in SQLite and returned by the
 * API unchanged, so operators and tests can tell a crash from a timeout from a protocol violation.
 */
export type FailureKind = 'spawn' | 'handshake' | 'protocol' | 'timeout' | 'exited' | 'memory' | 'cancelled';

export class SessionError extends Error {
  override readonly name = 'SessionError';
  constructor(
    readonly kind: FailureKind,
    message: string,
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
  }
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
