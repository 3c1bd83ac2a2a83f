/** JSON request bodies, validated with zod; a bad body is a 400 that says what is wrong. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors.js';

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
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new ApiError(400, 'invalid_request', msg);
  }
  return parsed.data;
}
