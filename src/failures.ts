/**
 * One failure scheme for work that went wrong (a turn, a task run, a delivery): a closed set of
 * kinds, stored in SQLite and returned by the API unchanged, so operators and tests can tell a
 * crash from a timeout from a protocol violation — and our own bugs (`internal`) from the agent's.
 *
 * Misuse by a caller (unknown id, bad input) is not a failure of the work: those errors carry an
 * HTTP-mapped `code` instead (SessionRequestError, ApiError, TaskError …).
 */
export const FAILURE_KINDS = [
  'spawn',
  'handshake',
  /** The agent cannot be run under its permission policy (no mode that asks the client). */
  'policy',
  /** sandbox = "bwrap" where bubblewrap cannot run, or bwrap refused the agent's mounts. */
  'sandbox',
  /** The agent broke ACP or answered a prompt with a JSON-RPC error. */
  'protocol',
  'timeout',
  'exited',
  'memory',
  'cancelled',
  /** A budget held the work: a soft budget paused the group, or a hard one is spent. */
  'budget',
  /** A defect or an environment fault on our side (SQLite, the file system, a bug). */
  'internal',
] as const;

export type FailureKind = (typeof FAILURE_KINDS)[number];

export class Failure extends Error {
  override readonly name: string = 'Failure';
  constructor(
    readonly kind: FailureKind,
    message: string,
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
  }
}

/** Any thrown value as a Failure: ours keep their kind, anything else is `internal`. */
export function asFailure(err: unknown): Failure {
  if (err instanceof Failure) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new Failure('internal', message, { cause: err });
}

/** Kinds after which the agent process is not worth keeping (it may be wedged or mid-output). */
export function stopsTheAgent(kind: FailureKind): boolean {
  return !['cancelled', 'spawn', 'handshake', 'policy', 'sandbox', 'budget'].includes(kind);
}
