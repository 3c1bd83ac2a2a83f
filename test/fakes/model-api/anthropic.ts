/**
 * The Anthropic Messages dialect of the fake model API, spoken to Claude Code (claude-agent-acp →
 * claude-agent-sdk → the bundled `claude` binary, pointed here by `ANTHROPIC_BASE_URL`).
 *
 * - `POST /v1/messages` (Claude Code adds `?beta=true`; the query is ignored): the request's user
 *   texts, tool results and declared tools become a Conversation, the script (script.ts) picks the
 *   reply, and it is written as one Messages response, or, with `"stream": true`, as the SSE event
 *   sequence message_start → content_block_start/delta/stop per block (text_delta for text,
 *   input_json_delta for a tool_use) → message_delta (stop_reason, usage) → message_stop.
 * - `POST /v1/messages/count_tokens`: a rough count, so context accounting never waits on us.
 * - `GET /v1/models[/id]`: one model, for model pickers and gateway discovery.
 * - `HEAD|GET /api/hello`: 200, Claude Code's reachability check.
 *
 * Claude Code's own side requests (session title, auto-mode classifier) get fixed answers, not the
 * script: see `sideReply`. With tool search on, MCP tools are deferred: see `deferredToolNames`.
 */
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { chunks, planReply, sampleOfSchema, SCRIPT_MARKER, type Conversation, type Reply } from './script.js';
import { delay, type DialectRequest } from './server.js';

/** The model we claim to be when the request names none (count_tokens, model listing). */
const FAKE_MODEL = 'claude-sonnet-4-5';

type ContentBlock = { readonly type?: unknown; readonly text?: unknown };
type Message = { readonly role?: unknown; readonly content?: unknown };
type JsonSchema = { readonly type?: unknown; readonly properties?: Readonly<Record<string, JsonSchema>> };
type MessagesBody = {
  readonly model?: unknown;
  readonly system?: unknown;
  readonly messages?: unknown;
  readonly tools?: unknown;
  readonly stream?: unknown;
  readonly stop_sequences?: unknown;
  readonly output_config?: { readonly format?: { readonly type?: unknown; readonly schema?: JsonSchema } };
};

export function matchesAnthropic(method: string, path: string): boolean {
  if (method === 'POST') return path === '/v1/messages' || path === '/v1/messages/count_tokens';
  // Claude Code's connectivity check, sent when nonessential traffic is not turned off.
  if (path === '/api/hello') return method === 'HEAD' || method === 'GET';
  return method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'));
}

function asBody(body: unknown): MessagesBody {
  return typeof body === 'object' && body !== null ? body : {};
}

/** A message's content as blocks: the API allows a bare string for a single text block. */
function blocksOf(content: unknown): ContentBlock[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content)
    ? content.filter((b): b is ContentBlock => typeof b === 'object' && b !== null)
    : [];
}

export function toConversation(body: MessagesBody): Conversation {
  const messages = Array.isArray(body.messages) ? (body.messages as Message[]) : [];
  const userTexts: string[] = [];
  // Tool results are counted per position, so the count can restart at the newest scripted text;
  // Claude Code puts tool_result blocks and its own <system-reminder> texts in user messages.
  let toolResultsSinceScript = 0;
  for (const m of messages) {
    if (m.role !== 'user') continue;
    for (const b of blocksOf(m.content)) {
      if (b.type === 'tool_result') toolResultsSinceScript++;
      else if (b.type === 'text' && typeof b.text === 'string') {
        userTexts.push(b.text);
        if (b.text.includes(SCRIPT_MARKER)) toolResultsSinceScript = 0;
      }
    }
  }
  const tools = Array.isArray(body.tools) ? (body.tools as { name?: unknown }[]) : [];
  const declared = tools.flatMap((t) => (typeof t.name === 'string' ? [t.name] : []));
  const deferred = deferredToolNames([
    ...blocksOf(body.system),
    ...messages.flatMap((m) => blocksOf(m.content)),
  ]);
  return {
    userTexts,
    toolResultsSinceScript,
    toolNames: [...declared, ...deferred.filter((n) => !declared.includes(n))],
  };
}

const DEFERRED_HEADER = 'deferred tools are now available via ToolSearch';

/**
 * With tool search on (Claude Code's default), MCP tools are not in `tools`: their names are listed
 * one a line under a header in a system text, to be loaded by ToolSearch first. Claude Code accepts
 * a direct call of a listed tool too, so the script may call them by name or `match`.
 */
function deferredToolNames(blocks: readonly ContentBlock[]): string[] {
  for (const b of blocks) {
    if (typeof b.text !== 'string') continue;
    const at = b.text.indexOf(DEFERRED_HEADER);
    if (at < 0) continue;
    const names: string[] = [];
    for (const line of b.text.slice(at).split('\n').slice(1)) {
      if (!/^[\w.-]+$/.test(line.trim())) break;
      names.push(line.trim());
    }
    return names;
  }
  return [];
}

function usageOf(reply: Reply): Record<string, number> {
  // The real API always reports the cache fields; Claude Code adds them into its context and cost figures.
  return {
    input_tokens: reply.usage.input_tokens,
    output_tokens: reply.usage.output_tokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomUUID()}` });
  res.end(JSON.stringify(value));
}

function sse(res: ServerResponse, data: { readonly type: string } & Record<string, unknown>): void {
  res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

function streamReply(
  res: ServerResponse,
  message: Record<string, unknown>,
  reply: Reply,
  toolId: string,
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'request-id': `req_${randomUUID()}`,
  });
  const usage = usageOf(reply);
  sse(res, {
    type: 'message_start',
    message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
  });
  let index = 0;
  for (const text of reply.texts) {
    sse(res, { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const part of chunks(text)) {
      sse(res, { type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } });
    }
    sse(res, { type: 'content_block_stop', index });
    index++;
  }
  if (reply.tool !== undefined) {
    const { name, input } = reply.tool;
    sse(res, {
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: toolId, name, input: {} },
    });
    for (const part of chunks(JSON.stringify(input))) {
      sse(res, {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: part },
      });
    }
    sse(res, { type: 'content_block_stop', index });
  }
  sse(res, {
    type: 'message_delta',
    delta: { stop_reason: reply.tool !== undefined ? 'tool_use' : 'end_turn', stop_sequence: null },
    usage,
  });
  sse(res, { type: 'message_stop' });
  res.end();
}

/**
 * Claude Code's own side requests declare no tools, and several quote the user's prompt (the title
 * generator wraps it in `<session>`, the auto-mode classifier in a transcript), so they would play
 * the script too. They get fixed answers instead: JSON of the requested shape, an "allow" verdict
 * for the classifier (it asks for `<severity>N</severity>`, below 50 allows), else `ok`.
 */
function sideReply(body: MessagesBody): Reply | undefined {
  if (Array.isArray(body.tools) && body.tools.length > 0) return undefined;
  const usage = { input_tokens: 10, output_tokens: 5 };
  const format = body.output_config?.format;
  if (format?.type === 'json_schema')
    return { texts: [JSON.stringify(sampleOfSchema(format.schema ?? {}))], delayMs: 0, usage };
  const stops = Array.isArray(body.stop_sequences) ? body.stop_sequences : [];
  if (stops.includes('</severity>') || JSON.stringify(body.system ?? '').includes('<severity>')) {
    return { texts: ['<severity>0</severity>'], delayMs: 0, usage };
  }
  return { texts: ['ok'], delayMs: 0, usage };
}

async function handleMessages(req: DialectRequest, res: ServerResponse): Promise<void> {
  const body = asBody(req.body);
  const side = sideReply(body);
  const reply = side ?? planReply(toConversation(body));
  await delay(reply.delayMs, req.signal);
  // A cancelled turn: Claude Code aborted the request, nobody reads the answer.
  if (req.signal.aborted) {
    res.destroy();
    return;
  }
  const toolId = `toolu_${randomUUID().replaceAll('-', '')}`;
  // The tokens we report are what Claude Code prices into the session cost it reports over ACP.
  req.reportUsage({
    model: typeof body.model === 'string' ? body.model : FAKE_MODEL,
    input_tokens: reply.usage.input_tokens,
    output_tokens: reply.usage.output_tokens,
    side: side !== undefined,
  });
  const message = {
    id: `msg_${randomUUID().replaceAll('-', '')}`,
    type: 'message',
    role: 'assistant',
    model: typeof body.model === 'string' ? body.model : FAKE_MODEL,
    stop_sequence: null,
  };
  if (body.stream === true) return streamReply(res, message, reply, toolId);
  const content: Record<string, unknown>[] = reply.texts.map((text) => ({ type: 'text', text }));
  if (reply.tool !== undefined) {
    content.push({ type: 'tool_use', id: toolId, name: reply.tool.name, input: reply.tool.input });
  }
  sendJson(res, 200, {
    ...message,
    content,
    stop_reason: reply.tool !== undefined ? 'tool_use' : 'end_turn',
    usage: usageOf(reply),
  });
}

const MODEL_INFO = {
  type: 'model',
  id: FAKE_MODEL,
  display_name: 'Fake Claude',
  created_at: '2025-01-01T00:00:00Z',
};

export async function handleAnthropic(req: DialectRequest, res: ServerResponse): Promise<void> {
  if (req.path === '/v1/messages') return handleMessages(req, res);
  if (req.path === '/api/hello') return sendJson(res, 200, {});
  if (req.path === '/v1/messages/count_tokens') {
    // About four characters a token, like the real tokenizer on English text.
    return sendJson(res, 200, { input_tokens: Math.ceil(JSON.stringify(req.body ?? '').length / 4) });
  }
  if (req.path === '/v1/models') {
    return sendJson(res, 200, {
      data: [MODEL_INFO],
      has_more: false,
      first_id: FAKE_MODEL,
      last_id: FAKE_MODEL,
    });
  }
  return sendJson(res, 200, { ...MODEL_INFO, id: decodeURIComponent(req.path.slice('/v1/models/'.length)) });
}
