/**
 * The demo agent's prompt language. A prompt is one command; anything else is echoed back with a
 * note that this is the demo agent. In a chat prompt (chat-prompt.ts) the command is the addressed
 * message; `echo` then also returns the rest of the prompt (earlier messages, undelivered replies)
 * and `prompt` returns the whole prompt, so tests see what the agent was given. Parsing is pure so
 * it is tested without a process.
 */
import { parseChatPrompt } from './chat-prompt.js';

export type DemoCommand =
  | { kind: 'echo'; text: string }
  | { kind: 'prompt'; text: string }
  | { kind: 'stream'; chunks: number; pauseMs?: number }
  | { kind: 'blocks' }
  | { kind: 'ask'; title: string; toolKind: string }
  | { kind: 'read'; path: string }
  | { kind: 'write'; path: string; text: string }
  | { kind: 'sleep'; ms: number }
  | { kind: 'slowread'; ms: number }
  | { kind: 'hang' }
  | { kind: 'crash' }
  | { kind: 'memory'; mb: number }
  | { kind: 'garbage' }
  | { kind: 'env'; name: string }
  | { kind: 'stderr'; text: string }
  | { kind: 'flood'; bytes: number }
  | { kind: 'tool'; name: string; args: unknown; error?: string }
  | { kind: 'cat'; path: string }
  | { kind: 'ls'; path: string }
  | { kind: 'put'; path: string; text: string }
  | { kind: 'spawnSetsid' }
  | { kind: 'usage'; report: UsageReport; error?: string }
  | { kind: 'chat'; text: string };

/**
 * What `usage` reports: `cost` is added to this ACP session's running total, which goes out as a
 * `usage_update` (cumulative, like Claude's); `input`/`output` are the turn's tokens in the prompt
 * response's `usage`; `used`/`size` the context.
 */
export type UsageReport = {
  readonly cost?: number;
  readonly currency?: string;
  readonly input?: number;
  readonly output?: number;
  readonly used?: number;
  readonly size?: number;
};

export const DEMO_HELP = [
  'echo TEXT            reply TEXT (in a chat, followed by the earlier messages I was given)',
  'prompt               reply with the whole prompt I was given',
  'stream N [MS]        reply in N chunks (MS ms apart, default 0)',
  'blocks               reply with the content blocks of my prompt (type, MIME type, size)',
  'ask [KIND] TITLE     ask permission for a tool call (KIND: read, edit, execute …)',
  'read PATH            read a file through the client',
  'write PATH TEXT      write a file through the client',
  'sleep MS             wait, then reply',
  'slowread MS          reply, then stop reading stdin for MS ms (a slow reader)',
  'hang                 never answer (spawns a grandchild too)',
  'crash                exit mid-turn',
  'memory MB            allocate MB of memory',
  'garbage              write non-JSON to stdout',
  'env NAME             reply whether NAME is set in my environment',
  'stderr TEXT          write TEXT to stderr, $NAME replaced by its value in my environment',
  'flood BYTES          reply with BYTES of text',
  'tool NAME {JSON}     call a daemon tool over MCP and reply with its result',
  'cat PATH             read a file myself (node:fs, not through the client)',
  'ls PATH              list a directory myself',
  'put PATH TEXT        write a file myself',
  'usage {JSON}         report usage: {"cost":0.5,"input":100,"output":20,"used":1200,"size":200000}',
  'spawn-setsid         start a detached `sleep 600` in a session of its own; reply its pid',
].join('\n');

const TOOL_KINDS = new Set([
  'read',
  'edit',
  'delete',
  'move',
  'search',
  'execute',
  'think',
  'fetch',
  'other',
]);

/** "[photo] ", "[document: x.pdf] " … that the daemon puts before a caption. */
const MEDIA_PLACEHOLDER = /^\[(?:photo|voice|video|video note|audio|document|sticker|animation)[^\]]*\]\s*/;

export function parseCommand(prompt: string): DemoCommand {
  const chat = parseChatPrompt(prompt);
  const text = chat?.text ?? prompt;
  // A caption under a photo can be a command ("[photo] blocks"); anything else stays chat as sent.
  let cmd = parseOne(text.replace(MEDIA_PLACEHOLDER, ''));
  if (cmd.kind === 'chat') cmd = parseOne(text);
  if (cmd.kind === 'prompt') return { kind: 'prompt', text: prompt };
  if (cmd.kind === 'echo' && chat !== undefined && chat.rest !== '')
    return { kind: 'echo', text: `${cmd.text}\n\n${chat.rest}` };
  return cmd;
}

function parseOne(prompt: string): DemoCommand {
  const text = prompt.trim();
  const [head = '', ...rest] = text.split(/\s+/);
  const arg = text.slice(head.length).trim();
  const num = (fallback: number): number => {
    const n = Number(rest[0]);
    return Number.isFinite(n) && n >= 0 ? n : fallback;
  };
  switch (head.toLowerCase()) {
    case 'echo':
      return { kind: 'echo', text: arg };
    case 'prompt':
      return { kind: 'prompt', text };
    case 'stream': {
      const chunks = Math.min(num(5), 100_000);
      const pause = Number(rest[1]);
      // A pause lets a watcher (the dashboard's browser test) see a reply still arriving.
      return Number.isFinite(pause) && pause > 0
        ? { kind: 'stream', chunks, pauseMs: Math.min(pause, 60_000) }
        : { kind: 'stream', chunks };
    }
    case 'blocks':
      return { kind: 'blocks' };
    case 'ask': {
      const first = rest[0] ?? '';
      if (TOOL_KINDS.has(first))
        return { kind: 'ask', toolKind: first, title: rest.slice(1).join(' ') || `${first} something` };
      return { kind: 'ask', toolKind: 'edit', title: arg || 'edit a file' };
    }
    case 'read':
      return { kind: 'read', path: rest[0] ?? '' };
    case 'write':
      return { kind: 'write', path: rest[0] ?? '', text: rest.slice(1).join(' ') };
    case 'sleep':
      return { kind: 'sleep', ms: num(1000) };
    case 'slowread':
      return { kind: 'slowread', ms: num(5000) };
    case 'hang':
      return { kind: 'hang' };
    case 'crash':
      return { kind: 'crash' };
    case 'memory':
      return { kind: 'memory', mb: num(512) };
    case 'garbage':
      return { kind: 'garbage' };
    case 'env':
      return { kind: 'env', name: rest[0] ?? '' };
    case 'stderr':
      return { kind: 'stderr', text: arg };
    case 'tool': {
      const name = rest[0] ?? '';
      const json = arg.slice(name.length).trim();
      if (json === '') return { kind: 'tool', name, args: {} };
      try {
        return { kind: 'tool', name, args: JSON.parse(json) as unknown };
      } catch {
        return { kind: 'tool', name, args: {}, error: `arguments are not JSON: ${json}` };
      }
    }
    case 'flood':
      return { kind: 'flood', bytes: num(1_000_000) };
    case 'cat':
      return { kind: 'cat', path: arg };
    case 'ls':
      return { kind: 'ls', path: arg || '.' };
    case 'put':
      return { kind: 'put', path: rest[0] ?? '', text: rest.slice(1).join(' ') };
    case 'usage': {
      // The object may share the line with a trigger word (`usage @Andy {…}` in a group).
      const json = arg.includes('{') ? arg.slice(arg.indexOf('{'), arg.lastIndexOf('}') + 1) : arg || '{}';
      try {
        const v = JSON.parse(json) as unknown;
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
        return { kind: 'usage', report: v };
      } catch {
        return { kind: 'usage', report: {}, error: `usage takes a JSON object, got: ${json}` };
      }
    }
    case 'spawn-setsid':
      return { kind: 'spawnSetsid' };
    default:
      return { kind: 'chat', text };
  }
}
