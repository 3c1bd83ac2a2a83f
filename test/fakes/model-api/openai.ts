/**
 * The OpenAI dialect of the fake model API. Codex (0.166) speaks only the Responses API
 * (`POST /v1/responses`; its providers reject `wire_api = "chat"`); Chat Completions
 * (`POST /v1/chat/completions`) is here for other OpenAI-compatible agents. Both answer streaming
 * (SSE) or as one JSON body, with text, one tool call and usage, as the script (script.ts) says.
 * Codex specifics handled here: MCP tools declared inside `namespace` tools, the freeform
 * (`custom`) apply_patch tool, and side requests that demand a JSON schema (title, auto-review),
 * which get a schema-shaped answer instead of the script.
 */
import type { ServerResponse } from 'node:http';
import { delay, type DialectRequest } from './server.js';
import { chunks, findScript, planReply, sampleOfSchema, type Conversation, type Reply } from './script.js';

type Json = Record<string, unknown>;

/** The model named in replies when the request names none. */
const MODEL = 'fake-model';

// `GET /v1/models` is left to the Anthropic dialect (first in the server's list; its list shape
// serves OpenAI clients too): Codex never asks for it.
export function matchesOpenAi(method: string, path: string): boolean {
  return method === 'POST' && (path === '/v1/responses' || path === '/v1/chat/completions');
}

export async function handleOpenAi(req: DialectRequest, res: ServerResponse): Promise<void> {
  const body = isObject(req.body) ? req.body : {};
  const chat = req.path === '/v1/chat/completions';
  const parsed = chat ? chatConversation(body) : responsesConversation(body);
  const schema = outputSchema(body);
  const reply = schema === undefined ? planReply(parsed.conv) : structuredReply(schema);
  await delay(reply.delayMs, req.signal);
  if (req.signal.aborted) return; // the adapter cancelled the turn and hung up
  const model = typeof body['model'] === 'string' ? body['model'] : MODEL;
  const stream = body['stream'] === true;
  if (chat) {
    const includeUsage = isObject(body['stream_options']) && body['stream_options']['include_usage'] === true;
    return stream ? streamChat(res, reply, model, includeUsage) : sendJson(res, chatBody(reply, model));
  }
  const output = outputItems(reply, parsed);
  return stream
    ? streamResponses(res, reply, model, output)
    : sendJson(res, responseObject(reply, model, output));
}

// ---- reading requests ----

type Parsed = {
  readonly conv: Conversation;
  /** Declared freeform (`type: "custom"`) tools, whose calls carry a raw string, not JSON. */
  readonly custom: ReadonlySet<string>;
  /** Tools declared inside a `namespace` tool, by their flattened name. */
  readonly namespaced: ReadonlyMap<string, { readonly namespace: string; readonly name: string }>;
};

/**
 * Walks the history once: each user text, and for each tool result how many user texts preceded it,
 * so the results after the script's message can be counted wherever that message is.
 */
class History {
  readonly userTexts: string[] = [];
  private readonly resultsAfter: number[] = [];
  user(text: string): void {
    if (text !== '') this.userTexts.push(text);
  }
  toolResult(): void {
    this.resultsAfter.push(this.userTexts.length);
  }
  conversation(toolNames: readonly string[]): Conversation {
    const scriptIndex = findScript(this.userTexts)?.index ?? -1;
    const toolResultsSinceScript = this.resultsAfter.filter((n) => n > scriptIndex).length;
    return { userTexts: this.userTexts, toolResultsSinceScript, toolNames };
  }
}

function responsesConversation(body: Json): Parsed {
  const h = new History();
  const input = body['input'];
  if (typeof input === 'string') h.user(input);
  for (const item of Array.isArray(input) ? input : []) {
    if (!isObject(item)) continue;
    const type = typeof item['type'] === 'string' ? item['type'] : 'message';
    // function_call_output, custom_tool_call_output, local_shell_call_output, mcp_call_output …
    if (type.endsWith('_output')) h.toolResult();
    else if (type === 'message' && item['role'] === 'user') h.user(textOf(item['content']));
  }
  const names: string[] = [];
  const custom = new Set<string>();
  const namespaced = new Map<string, { namespace: string; name: string }>();
  for (const tool of Array.isArray(body['tools']) ? body['tools'] : []) {
    if (!isObject(tool)) continue;
    const name = typeof tool['name'] === 'string' ? tool['name'] : String(tool['type']);
    if (tool['type'] === 'namespace' && Array.isArray(tool['tools'])) {
      // Codex groups each MCP server's tools in a namespace (`mcp__agentforge`); a call names the
      // member and the namespace apart. Flattened as `mcp__agentforge__list_groups` for `match`.
      for (const member of tool['tools']) {
        if (!isObject(member) || typeof member['name'] !== 'string') continue;
        const flat = `${name}__${member['name']}`;
        names.push(flat);
        namespaced.set(flat, { namespace: name, name: member['name'] });
      }
      continue;
    }
    names.push(name);
    if (tool['type'] === 'custom') custom.add(name);
  }
  return { conv: h.conversation(names), custom, namespaced };
}

function chatConversation(body: Json): Parsed {
  const h = new History();
  for (const msg of Array.isArray(body['messages']) ? body['messages'] : []) {
    if (!isObject(msg)) continue;
    if (msg['role'] === 'tool') h.toolResult();
    else if (msg['role'] === 'user') h.user(textOf(msg['content']));
  }
  const names: string[] = [];
  for (const tool of Array.isArray(body['tools']) ? body['tools'] : []) {
    const fn = isObject(tool) ? tool['function'] : undefined;
    if (isObject(fn) && typeof fn['name'] === 'string') names.push(fn['name']);
  }
  return { conv: h.conversation(names), custom: new Set(), namespaced: new Map() };
}

/** A content field as text: a string, or the text parts (`input_text`, `text`) of an array. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => (isObject(p) && typeof p['text'] === 'string' ? p['text'] : ''))
    .filter((t) => t !== '')
    .join('\n');
}

/**
 * The JSON schema a request wants its answer to match (Responses `text.format`, Chat
 * `response_format`). Only side requests carry one (Codex's title generator and its auto-review
 * "guardian"), and they quote the user's prompt, script and all: playing the script there would run
 * the test's tool calls a second time in a side thread.
 */
function outputSchema(body: Json): unknown {
  const text = body['text'];
  const format = isObject(text) ? text['format'] : undefined;
  if (isObject(format) && format['type'] === 'json_schema') return format['schema'] ?? {};
  const rf = body['response_format'];
  if (isObject(rf) && rf['type'] === 'json_schema') {
    const js = rf['json_schema'];
    return isObject(js) ? (js['schema'] ?? {}) : {};
  }
  return undefined;
}

/** The scriptless reply, its text replaced by the smallest JSON value the schema accepts. */
function structuredReply(schema: unknown): Reply {
  const plain = planReply({ userTexts: [], toolResultsSinceScript: 0, toolNames: [] });
  return { ...plain, texts: [JSON.stringify(sampleOfSchema(schema))] };
}

// ---- Responses API replies ----

let serial = 0;
const newId = (prefix: string): string =>
  `${prefix}_fake${Date.now().toString(36)}${(serial++).toString(36)}`;

type Item = Json & { readonly id: string };

/** The finished output items: one assistant message per text block, then the tool call. */
function outputItems(reply: Reply, parsed: Parsed): Item[] {
  const items: Item[] = reply.texts.map((text) => ({
    id: newId('msg'),
    type: 'message',
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text, annotations: [] }],
  }));
  if (reply.tool !== undefined) items.push(toolItem(reply.tool, parsed));
  return items;
}

function toolItem(tool: NonNullable<Reply['tool']>, parsed: Parsed): Item {
  const call_id = newId('call');
  if (parsed.custom.has(tool.name)) {
    // A freeform tool (Codex's apply_patch) takes raw text: the script puts it in `input.input`.
    const raw = tool.input['input'];
    const input = typeof raw === 'string' ? raw : JSON.stringify(tool.input);
    return {
      id: newId('ctc'),
      type: 'custom_tool_call',
      status: 'completed',
      call_id,
      name: tool.name,
      input,
    };
  }
  const args = JSON.stringify(tool.input);
  const ns = parsed.namespaced.get(tool.name);
  const name = ns !== undefined ? { namespace: ns.namespace, name: ns.name } : { name: tool.name };
  return { id: newId('fc'), type: 'function_call', status: 'completed', call_id, ...name, arguments: args };
}

function responsesUsage(reply: Reply): Json {
  const { input_tokens, output_tokens } = reply.usage;
  return {
    input_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input_tokens + output_tokens,
  };
}

function responseObject(reply: Reply, model: string, output: Item[]): Json {
  return {
    id: newId('resp'),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model,
    output,
    usage: responsesUsage(reply),
  };
}

function streamResponses(res: ServerResponse, reply: Reply, model: string, output: Item[]): void {
  startSse(res);
  let seq = 0;
  const emit = (type: string, fields: Json): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`);
  };
  const done = responseObject(reply, model, output);
  const { id, created_at } = done;
  emit('response.created', {
    response: { id, object: 'response', created_at, status: 'in_progress', model, output: [] },
  });
  output.forEach((item, output_index) => {
    const item_id = item.id;
    if (item['type'] === 'message') {
      const text = reply.texts[output_index] ?? ''; // messages come first, one per text block
      emit('response.output_item.added', {
        output_index,
        item: { ...item, status: 'in_progress', content: [] },
      });
      const part = { type: 'output_text', text: '', annotations: [] };
      emit('response.content_part.added', { item_id, output_index, content_index: 0, part });
      for (const delta of chunks(text)) {
        emit('response.output_text.delta', { item_id, output_index, content_index: 0, delta });
      }
      emit('response.output_text.done', { item_id, output_index, content_index: 0, text });
      emit('response.content_part.done', {
        item_id,
        output_index,
        content_index: 0,
        part: { ...part, text },
      });
    } else if (item['type'] === 'function_call') {
      const args = String(item['arguments']);
      emit('response.output_item.added', {
        output_index,
        item: { ...item, status: 'in_progress', arguments: '' },
      });
      for (const delta of chunks(args))
        emit('response.function_call_arguments.delta', { item_id, output_index, delta });
      emit('response.function_call_arguments.done', { item_id, output_index, arguments: args });
    } else {
      const input = String(item['input']);
      emit('response.output_item.added', {
        output_index,
        item: { ...item, status: 'in_progress', input: '' },
      });
      for (const delta of chunks(input))
        emit('response.custom_tool_call_input.delta', { item_id, output_index, delta });
      emit('response.custom_tool_call_input.done', { item_id, output_index, input });
    }
    emit('response.output_item.done', { output_index, item });
  });
  emit('response.completed', { response: done });
  res.end();
}

// ---- Chat Completions replies ----

function chatUsage(reply: Reply): Json {
  const { input_tokens, output_tokens } = reply.usage;
  return {
    prompt_tokens: input_tokens,
    completion_tokens: output_tokens,
    total_tokens: input_tokens + output_tokens,
  };
}

function chatToolCall(reply: Reply): Json | undefined {
  if (reply.tool === undefined) return undefined;
  const fn = { name: reply.tool.name, arguments: JSON.stringify(reply.tool.input) };
  return { id: newId('call'), type: 'function', function: fn };
}

function chatBody(reply: Reply, model: string): Json {
  const call = chatToolCall(reply);
  const message = {
    role: 'assistant',
    content: reply.texts.length > 0 ? reply.texts.join('\n\n') : null,
    ...(call !== undefined ? { tool_calls: [call] } : {}),
  };
  return {
    id: newId('chatcmpl'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: call !== undefined ? 'tool_calls' : 'stop' }],
    usage: chatUsage(reply),
  };
}

function streamChat(res: ServerResponse, reply: Reply, model: string, includeUsage: boolean): void {
  startSse(res);
  const head = {
    id: newId('chatcmpl'),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
  };
  const emit = (delta: Json, finish_reason: string | null = null): void => {
    res.write(`data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason }] })}\n\n`);
  };
  emit({ role: 'assistant', content: '' });
  reply.texts.forEach((text, i) => {
    // One content string in this dialect: text blocks are joined by a blank line.
    for (const content of chunks(i === 0 ? text : `\n\n${text}`)) emit({ content });
  });
  const call = chatToolCall(reply);
  if (call !== undefined) {
    const fn = call['function'] as { name: string; arguments: string };
    emit({
      tool_calls: [
        { index: 0, id: call['id'], type: 'function', function: { name: fn.name, arguments: '' } },
      ],
    });
    for (const part of chunks(fn.arguments))
      emit({ tool_calls: [{ index: 0, function: { arguments: part } }] });
  }
  emit({}, call !== undefined ? 'tool_calls' : 'stop');
  if (includeUsage)
    res.write(`data: ${JSON.stringify({ ...head, choices: [], usage: chatUsage(reply) })}\n\n`);
  res.write('data: [DONE]\n\n');
  res.end();
}

// ---- side requests and plumbing ----

function startSse(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
}

function sendJson(res: ServerResponse, body: Json): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
