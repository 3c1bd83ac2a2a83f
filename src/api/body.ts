/** Request bodies and query strings, validated with zod; bad input is a 400 that says what is wrong. */
import type { Context } from 'hono';
import type * as z from 'zod';
import { ApiError } from './errors.js';

/**
 * A request schema, built at the first request that needs it. zod schemas are large objects
 * (closures on every node); built at import, the API's would sit in an idle daemon's heap from boot.
 */
export function requestSchema<S extends z.ZodType>(build: () => S): () => S {
  let schema: S | undefined;
  return () => (schema ??= build());
}

export async function parseBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  optional = false,
): Promise<z.output<S>> {
  let raw: unknown = {};
  const text = await c.req.text();
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'invalid_json', 'request body is not valid JSON');
    }
  } else if (!optional) {
    throw new ApiError(400, 'invalid_request', 'request body is required (JSON)');
  }
  return validated(schema, raw, 'body');
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return validated(schema, c.req.query(), 'query');
}

function validated<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; ');
    throw new ApiError(400, 'invalid_request', msg);
  }
  return parsed.data;
}
