/**
 * The script language of the fake model API, shared by its three dialects (Anthropic Messages,
 * OpenAI Responses / Chat Completions, Gemini generateContent). A test puts a script into its
 * prompt after the marker `@@script `, as one line of JSON:
 *
 *   @@script {"steps":[{"text":["Let me look."],"tool":{"match":"list_groups","input":{}}},{"text":["Done."]}]}
 *
 * The agent adapter forwards the prompt to the model API; the fake finds the newest user message
 * that carries a script and answers step N, where N is the number of tool results the adapter has
 * sent back since that message. So a script plays out over the adapter's own request loop, and a
 * refused tool call (an error result) advances it like an executed one.
 *
 * A request without any script (the adapters' own side requests: titles, summaries, quota
 * probes) gets the plain reply `ok`.
 */

export const SCRIPT_MARKER = '@@script ';

export type ToolStep = {
  /** The exact tool name the adapter declared (e.g. `Bash`, `shell`, `run_shell_command`). */
  readonly name?: string;
  /**
   * A substring of a declared tool's name, for names the adapter mangles (MCP tools become
   * `mcp__agentforge__list_groups`, `agentforge__list_groups` …): the first declared tool whose
   * name contains it is called.
   */
  readonly match?: string;
  readonly input: Readonly<Record<string, unknown>>;
};

export type Usage = { readonly input_tokens: number; readonly output_tokens: number };

export type Step = {
  /** Text blocks of this reply, in order; each is streamed in a few chunks. */
  readonly text?: readonly string[];
  /** A tool call after the text. Without one, the step ends the turn. */
  readonly tool?: ToolStep;
  /** Wait this long before answering (cancel and turn_timeout tests); ends early if the client goes. */
  readonly delayMs?: number;
  /** Token counts to report for this response (default 10 in, 5 out). */
  readonly usage?: Usage;
};

export type Script = { readonly steps: readonly Step[] };

/** What a dialect extracted from one request, in dialect-neutral form. */
export type Conversation = {
  /** Every user text (not tool results), oldest first. */
  readonly userTexts: readonly string[];
  /** Tool results the adapter sent back after the newest user text that carries a script. */
  readonly toolResultsSinceScript: number;
  /** The names of the tools the request declares. */
  readonly toolNames: readonly string[];
};

export type Reply = {
  readonly texts: readonly string[];
  readonly tool?: { readonly name: string; readonly input: Readonly<Record<string, unknown>> };
  readonly delayMs: number;
  readonly usage: Usage;
};

const DEFAULT_USAGE: Usage = { input_tokens: 10, output_tokens: 5 };

export function findScript(texts: readonly string[]): { script: Script; index: number } | undefined {
  for (let i = texts.length - 1; i >= 0; i--) {
    const t = texts[i] ?? '';
    // The newest script of the text: an adapter may merge consecutive user turns into one.
    const at = t.lastIndexOf(SCRIPT_MARKER);
    if (at < 0) continue;
    const line = t.slice(at + SCRIPT_MARKER.length).split('\n')[0] ?? '';
    try {
      return { script: JSON.parse(line) as Script, index: i };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The reply to a request: the script's current step, or `ok`. */
export function planReply(conv: Conversation): Reply {
  const found = findScript(conv.userTexts);
  if (found === undefined) return { texts: ['ok'], delayMs: 0, usage: DEFAULT_USAGE };
  const { steps } = found.script;
  const step = steps[Math.min(conv.toolResultsSinceScript, steps.length - 1)] ?? {};
  let tool: Reply['tool'];
  if (step.tool !== undefined && conv.toolResultsSinceScript < steps.length) {
    const { name, match } = step.tool;
    const resolved = name ?? conv.toolNames.find((n) => match !== undefined && n.includes(match));
    if (resolved === undefined) {
      return {
        texts: [`FAKE: no declared tool matches ${match ?? '?'}; declared: ${conv.toolNames.join(', ')}`],
        delayMs: 0,
        usage: DEFAULT_USAGE,
      };
    }
    tool = { name: resolved, input: step.tool.input };
  }
  return {
    texts: step.text ?? [],
    ...(tool !== undefined ? { tool } : {}),
    delayMs: step.delayMs ?? 0,
    usage: step.usage ?? DEFAULT_USAGE,
  };
}

/** A script as the prompt line a test sends. */
export function scriptPrompt(steps: readonly Step[], preface = ''): string {
  return `${preface}${preface ? '\n' : ''}${SCRIPT_MARKER}${JSON.stringify({ steps })}`;
}

/** Splits a text into a few chunks so every dialect streams it as deltas. */
export function chunks(text: string, n = 3): string[] {
  if (text.length <= n) return [text];
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const isSchemaObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A value of a JSON schema's shape, for the adapters' structured-output side requests (titles,
 * codex's guardian): first enum value, `ok`, 0, false, [] and every listed property: e.g. a guardian `{"outcome":"allow",…}`.
 */
export function sampleOfSchema(schema: unknown): unknown {
  if (!isSchemaObject(schema)) return null;
  const { enum: options, type, properties, anyOf, oneOf } = schema;
  if (Array.isArray(options) && options.length > 0) return options[0];
  if ('const' in schema) return schema['const'];
  const alternatives = Array.isArray(anyOf) ? anyOf : Array.isArray(oneOf) ? oneOf : undefined;
  if (alternatives !== undefined) return sampleOfSchema(alternatives[0]);
  switch (Array.isArray(type) ? type[0] : type) {
    case 'string':
      return 'ok';
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'null':
      return null;
    default: {
      const props = isSchemaObject(properties) ? properties : {};
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sampleOfSchema(v)]));
    }
  }
}
