/**
 * The bundled demo ACP agent: a real agent program on the official SDK, speaking ACP over
 * stdin/stdout. It needs no API key, so a fresh install can chat, and it doubles as the test agent:
 * its prompt scripts what it does (see script.ts). Logs go to stderr; stdout is the protocol.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  agent,
  ndJsonStream,
  PROTOCOL_VERSION,
  type AgentContext,
  type ContentBlock,
  type McpServer,
} from '@agentclientprotocol/sdk';
import { callTool } from './mcp.js';
import { DEMO_HELP, parseCommand, type DemoCommand } from './script.js';

const turns = new Map<string, AbortController>();
const mcpBySession = new Map<string, McpServer[]>();
const hold: Buffer[] = [];
/** Per ACP session: the cost reported so far (reported cumulatively, as Claude does). */
const spent = new Map<string, number>();
/** The prompt response's `usage` of the running turn, if the script set one. */
const responseUsage = new Map<string, Record<string, number>>();

function promptText(blocks: readonly ContentBlock[]): string {
  return (
    blocks
      // Media blocks are not the command: `blocks` reports them.
      .map((b) => (b.type === 'text' ? b.text : b.type === 'resource_link' ? `[${b.name}]` : ''))
      .join('')
  );
}

async function say(client: AgentContext, sessionId: string, text: string): Promise<void> {
  await client.notify('session/update', {
    sessionId,
    update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } },
  });
}

/**
 * A slow reader: stdin is not read for `ms` (the turn's answer still goes out on stdout). The web
 * stream wrapped around stdin resumes it whenever its consumer asks for more, so those resumes are
 * held off until the time is up; then reading starts again where it stopped.
 */
function stopReading(ms: number): void {
  const stdin = process.stdin;
  const resume = stdin.resume.bind(stdin);
  stdin.resume = () => stdin;
  stdin.pause();
  setTimeout(() => {
    stdin.resume = resume;
    resume();
  }, ms);
}

/** What `blocks` reports: each block's type, and for media its MIME type and decoded size. */
function describeBlocks(blocks: readonly ContentBlock[]): string {
  return blocks
    .map((b) =>
      b.type === 'image' || b.type === 'audio'
        ? `${b.type} ${b.mimeType} ${Buffer.from(b.data, 'base64').length} bytes`
        : b.type,
    )
    .join('\n');
}

async function run(
  cmd: DemoCommand,
  client: AgentContext,
  sessionId: string,
  signal: AbortSignal,
  blocks: readonly ContentBlock[] = [],
): Promise<void> {
  switch (cmd.kind) {
    case 'echo':
    case 'prompt':
      return say(client, sessionId, cmd.text);
    case 'chat':
      return say(
        client,
        sessionId,
        `[demo agent] you said: ${cmd.text}\nI am the bundled demo agent, not a model. Try:\n${DEMO_HELP}`,
      );
    case 'stream':
      for (let i = 1; i <= cmd.chunks && !signal.aborted; i++) {
        if (i > 1 && cmd.pauseMs !== undefined)
          await sleep(cmd.pauseMs, undefined, { signal }).catch(() => undefined);
        await say(client, sessionId, `chunk ${i}\n`);
      }
      return;
    case 'blocks':
      return say(client, sessionId, `blocks:\n${describeBlocks(blocks)}`);
    case 'flood': {
      const line = 'x'.repeat(1023) + '\n';
      for (let sent = 0; sent < cmd.bytes && !signal.aborted; sent += line.length)
        await say(client, sessionId, line);
      return;
    }
    case 'ask': {
      const res = await client.request('session/request_permission', {
        sessionId,
        toolCall: {
          toolCallId: randomUUID(),
          title: cmd.title,
          kind: cmd.toolKind as 'edit',
          status: 'pending',
        },
        options: [
          { optionId: 'allow', name: 'Allow', kind: 'allow_once' },
          { optionId: 'reject', name: 'Reject', kind: 'reject_once' },
        ],
      });
      const outcome = res.outcome.outcome === 'selected' ? res.outcome.optionId : 'cancelled';
      return say(client, sessionId, `permission: ${outcome}`);
    }
    case 'read': {
      try {
        const res = await client.request('fs/read_text_file', { sessionId, path: cmd.path });
        return say(client, sessionId, res.content);
      } catch (err) {
        return say(
          client,
          sessionId,
          `read refused (${(err as { code?: number }).code}): ${(err as Error).message}`,
        );
      }
    }
    case 'write': {
      try {
        await client.request('fs/write_text_file', { sessionId, path: cmd.path, content: cmd.text });
        return say(client, sessionId, `wrote ${cmd.path}`);
      } catch (err) {
        return say(
          client,
          sessionId,
          `write refused (${(err as { code?: number }).code}): ${(err as Error).message}`,
        );
      }
    }
    case 'sleep':
      await sleep(cmd.ms, undefined, { signal }).catch(() => undefined);
      return say(client, sessionId, `slept ${cmd.ms} ms`);
    case 'slowread':
      await say(client, sessionId, `not reading stdin for ${cmd.ms} ms`);
      stopReading(cmd.ms);
      return;
    case 'hang': {
      // A grandchild in our process group: supervision must kill it too.
      const child = spawn('sleep', ['3600'], { stdio: 'ignore' });
      await say(client, sessionId, `hanging (grandchild pid ${child.pid})`);
      await new Promise(() => undefined);
      return;
    }
    case 'crash':
      await say(client, sessionId, 'crashing now');
      process.exit(3);
      return;
    case 'memory': {
      await say(client, sessionId, `allocating ${cmd.mb} MB`);
      for (let i = 0; i < cmd.mb; i++) {
        hold.push(Buffer.alloc(1024 * 1024, 1));
        if (i % 64 === 0) await sleep(5);
      }
      return say(client, sessionId, `holding ${cmd.mb} MB`);
    }
    case 'garbage':
      process.stdout.write('this is not JSON-RPC\n');
      await sleep(60_000, undefined, { signal }).catch(() => undefined);
      return;
    case 'tool':
      if (cmd.error !== undefined) return say(client, sessionId, `tool error: ${cmd.error}`);
      return say(client, sessionId, await callTool(mcpBySession.get(sessionId) ?? [], cmd.name, cmd.args));
    case 'stderr': {
      // $NAME expands here, in the agent: a test can print a credential without ever sending it.
      const line = cmd.text.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, n: string) => process.env[n] ?? '');
      process.stderr.write(`${line}\n`);
      return say(client, sessionId, `wrote ${Buffer.byteLength(line) + 1} bytes to stderr`);
    }
    // The agent's own file access, as a tool of a real agent would have it: what the sandbox shows.
    case 'cat':
      return say(
        client,
        sessionId,
        fsAttempt(() => readFileSync(cmd.path, 'utf8')),
      );
    case 'ls':
      return say(
        client,
        sessionId,
        fsAttempt(() => readdirSync(cmd.path).join('\n')),
      );
    case 'put':
      return say(
        client,
        sessionId,
        fsAttempt(() => {
          writeFileSync(cmd.path, cmd.text);
          return `put ${cmd.path}`;
        }),
      );
    case 'spawnSetsid': {
      // detached = setsid(): a new session and process group, out of reach of a group kill.
      const child = spawn('sleep', ['600'], { stdio: 'ignore', detached: true });
      child.unref();
      return say(client, sessionId, `setsid child pid ${child.pid}`);
    }
    case 'usage': {
      if (cmd.error !== undefined) return say(client, sessionId, cmd.error);
      const r = cmd.report;
      const total = (spent.get(sessionId) ?? 0) + (r.cost ?? 0);
      spent.set(sessionId, total);
      await client.notify('session/update', {
        sessionId,
        update: {
          sessionUpdate: 'usage_update',
          used: r.used ?? 0,
          size: r.size ?? 200_000,
          ...(r.cost !== undefined ? { cost: { amount: total, currency: r.currency ?? 'USD' } } : {}),
        },
      });
      if (r.input !== undefined || r.output !== undefined) {
        const input = r.input ?? 0;
        const output = r.output ?? 0;
        responseUsage.set(sessionId, {
          inputTokens: input,
          outputTokens: output,
          totalTokens: input + output,
        });
      }
      return say(client, sessionId, `usage reported: cost ${r.cost ?? 0}, session total ${total}`);
    }
    case 'env':
      return say(
        client,
        sessionId,
        `${cmd.name} is ${process.env[cmd.name] === undefined ? 'unset' : 'set'}`,
      );
  }
}

/** The result, or `fs error CODE: message` (ENOENT, EACCES …) for a test to read. */
function fsAttempt(f: () => string): string {
  try {
    return f();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return `fs error ${e.code ?? 'unknown'}: ${e.message}`;
  }
}

const app = agent({ name: 'agentforge-demo' })
  .onRequest('initialize', () => ({
    protocolVersion: PROTOCOL_VERSION,
    agentCapabilities: {
      loadSession: true,
      promptCapabilities: { embeddedContext: false, image: true, audio: false },
    },
    agentInfo: { name: 'agentforge-demo', title: 'AgentForge demo agent', version: '1' },
    authMethods: [],
  }))
  .onRequest('session/new', ({ params }) => {
    const sessionId = `demo-${randomUUID()}`;
    mcpBySession.set(sessionId, params.mcpServers);
    return { sessionId };
  })
  .onRequest('session/load', ({ params }) => {
    mcpBySession.set(params.sessionId, params.mcpServers);
    return {};
  })
  .onRequest('session/prompt', async ({ params, client }) => {
    const ctl = new AbortController();
    turns.set(params.sessionId, ctl);
    try {
      await run(parseCommand(promptText(params.prompt)), client, params.sessionId, ctl.signal, params.prompt);
      const usage = responseUsage.get(params.sessionId);
      return { stopReason: ctl.signal.aborted ? 'cancelled' : 'end_turn', ...(usage ? { usage } : {}) };
    } finally {
      turns.delete(params.sessionId);
      responseUsage.delete(params.sessionId);
    }
  })
  .onNotification('session/cancel', ({ params }) => {
    turns.get(params.sessionId)?.abort();
  });

const conn = app.connect(
  ndJsonStream(
    Writable.toWeb(process.stdout) as WritableStream<Uint8Array>,
    Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>,
  ),
);
void conn.closed.then(() => process.exit(0));
