/** Errors the API returns on purpose: a stable code, a status, and a message safe to show. */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
