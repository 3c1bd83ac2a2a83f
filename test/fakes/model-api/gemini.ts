/**
 * The Gemini API dialect of the fake model API, as gemini-cli (`gemini --acp`, via @google/genai
 * with `GOOGLE_GEMINI_BASE_URL`) calls it:
 *
 *   POST /v1beta/models/{model}:generateContent          one JSON GenerateContentResponse
 *   POST /v1beta/models/{model}:streamGenerateContent    SSE (`?alt=sse`), one response per `data:`
 *   POST /v1beta/models/{model}:countTokens              { totalTokens }
 *   GET  /v1beta/models[/{model}]                        a small model list
 *
 * A request becomes a Conversation: user text parts (role `user`, not `functionResponse`) oldest
 * first, the `functionResponse` parts after the newest user content that carries a script, and the
 * names in `tools[].functionDeclarations`. The reply is text parts, then an optional `functionCall`
 * part, with `usageMetadata` and `finishReason: STOP`.
 */
import type { ServerResponse } from 'node:http';
import { chunks, findScript, planReply, type Conversation, type Reply } from './script.js';
import { delay, type DialectRequest } from './server.js';

type Part = {
  readonly text?: string;
  readonly thought?: boolean;
  readonly functionCall?: unknown;
  readonly functionResponse?: unknown;
};
type Content = { readonly role?: string; readonly parts?: readonly Part[] };
type FunctionDeclaration = { readonly name?: string };
type Tool = { readonly functionDeclarations?: readonly FunctionDeclaration[] };
type GenerateContentRequest = {
  readonly contents?: readonly Content[];
  readonly tools?: readonly Tool[];
  readonly generationConfig?: {
    readonly responseMimeType?: string;
    readonly responseSchema?: unknown;
    readonly responseJsonSchema?: unknown;
  };
};
type JsonSchema = {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
};

// `/v1beta/models/gemini-2.5-pro:streamGenerateContent`; the version segment is whatever
// GOOGLE_GENAI_API_VERSION says (default v1beta). The `:verb` suffix is Gemini's alone.
const CALL_RE =
  /^\/v1[a-z0-9]*\/(?:tunedModels|models)\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;
// Model listing; only the beta/alpha prefixes, so OpenAI's `GET /v1/models` stays with its dialect.
const LIST_RE = /^\/v1(?:beta|alpha)\/models(?:\/([^/:]+))?$/;

export function matchesGemini(method: string, path: string): boolean {
  return (method === 'POST' && CALL_RE.test(path)) || (method === 'GET' && LIST_RE.test(path));
}

function asRequest(body: unknown): GenerateContentRequest {
  return body !== null && typeof body === 'object' ? body : {};
}

/** Only the user's own words: gemini-cli sends thoughts and tool results as parts too. */
function userText(c: Content): string | undefined {
  if (c.role !== undefined && c.role !== 'user') return undefined;
  const texts = (c.parts ?? []).flatMap((p) =>
    typeof p.text === 'string' && p.thought !== true && p.functionResponse === undefined ? [p.text] : [],
  );
  return texts.length > 0 ? texts.join('\n') : undefined;
}

function toConversation(body: unknown): Conversation {
  const req = asRequest(body);
  const contents = req.contents ?? [];
  const userTexts: string[] = [];
  const at: number[] = []; // userTexts[i] came from contents[at[i]]
  contents.forEach((c, i) => {
    const t = userText(c);
    if (t === undefined) return;
    userTexts.push(t);
    at.push(i);
  });
  const found = findScript(userTexts);
  let toolResultsSinceScript = 0;
  if (found !== undefined) {
    for (const c of contents.slice((at[found.index] ?? contents.length) + 1)) {
      toolResultsSinceScript += (c.parts ?? []).filter((p) => p.functionResponse !== undefined).length;
    }
  }
  const toolNames = (req.tools ?? []).flatMap((t) =>
    (t.functionDeclarations ?? []).flatMap((d) => (typeof d.name === 'string' ? [d.name] : [])),
  );
  return { userTexts, toolResultsSinceScript, toolNames };
}

/**
 * gemini-cli's own structured side requests (model routing, next-speaker checks) ask for JSON by
 * schema and fail on prose, so they get the smallest value that fits the schema instead of `ok`.
 */
function fromSchema(s: JsonSchema | undefined): unknown {
  if (s === undefined) return {};
  if (s.enum !== undefined && s.enum.length > 0) return s.enum[0];
  const first: string | undefined = typeof s.type === 'string' ? s.type : s.type?.[0];
  const type = first?.toLowerCase(); // Gemini schemas spell types OBJECT, STRING, INTEGER
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, fromSchema(v)]));
    case 'array':
      return [];
    case 'string':
      return 'ok';
    case 'number':
    case 'integer':
      return s.minimum ?? 0; // the router's complexity_score must be 1..100
    case 'boolean':
      return false;
    default:
      return {};
  }
}

function jsonSideReply(req: GenerateContentRequest): Reply | undefined {
  const g = req.generationConfig;
  // The main chat never asks for JSON, so a JSON request is a side request even when the history
  // it carries (model routing sends the whole conversation) contains a script.
  if (g?.responseMimeType !== 'application/json') return undefined;
  const schema = (g.responseJsonSchema ?? g.responseSchema) as JsonSchema | undefined;
  return {
    texts: [JSON.stringify(fromSchema(schema))],
    delayMs: 0,
    usage: { input_tokens: 10, output_tokens: 5 },
  };
}

function usageMetadata(reply: Reply): Record<string, number> {
  const { input_tokens: prompt, output_tokens: out } = reply.usage;
  return { promptTokenCount: prompt, candidatesTokenCount: out, totalTokenCount: prompt + out };
}

function functionCallPart(reply: Reply): Part[] {
  // No `id`, like the real Developer API: gemini-cli then makes the call id `<name>__<name>_<ts>_<n>`.
  return reply.tool !== undefined
    ? [{ functionCall: { name: reply.tool.name, args: reply.tool.input } }]
    : [];
}

function response(parts: readonly Part[], model: string, reply?: Reply): Record<string, unknown> {
  return {
    candidates: [
      {
        content: { role: 'model', parts },
        index: 0,
        ...(reply !== undefined ? { finishReason: 'STOP' } : {}),
      },
    ],
    ...(reply !== undefined ? { usageMetadata: usageMetadata(reply) } : {}),
    modelVersion: model,
    responseId: 'fake-gemini',
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function modelInfo(id: string): Record<string, unknown> {
  return {
    name: `models/${id}`,
    baseModelId: id,
    version: '001',
    displayName: id,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
  };
}

const LISTED_MODELS = ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite'];

export async function handleGemini(req: DialectRequest, res: ServerResponse): Promise<void> {
  if (req.method === 'GET') {
    const id = LIST_RE.exec(req.path)?.[1];
    if (id === undefined) return sendJson(res, 200, { models: LISTED_MODELS.map(modelInfo) });
    return sendJson(res, 200, modelInfo(id));
  }
  const [, model = 'gemini', verb] = CALL_RE.exec(req.path) ?? [];
  const body = asRequest(req.body);
  if (verb === 'countTokens') {
    // About four characters a token, as gemini-cli itself estimates; it only sizes the context.
    return sendJson(res, 200, { totalTokens: Math.ceil(JSON.stringify(body.contents ?? []).length / 4) });
  }
  const reply = jsonSideReply(body) ?? planReply(toConversation(body));
  await delay(reply.delayMs, req.signal);
  if (req.signal.aborted) return void res.end();
  const textParts = reply.texts.filter((t) => t !== '').map((text): Part => ({ text }));
  if (verb === 'generateContent') {
    return sendJson(res, 200, response([...textParts, ...functionCallPart(reply)], model, reply));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const event = (value: unknown): void => void res.write(`data: ${JSON.stringify(value)}\r\n\r\n`);
  for (const { text } of textParts) {
    for (const piece of chunks(text ?? '')) event(response([{ text: piece }], model));
  }
  // The last event carries the tool call (if any), finishReason and usage, as the real API does.
  event(response(functionCallPart(reply), model, reply));
  res.end();
}
