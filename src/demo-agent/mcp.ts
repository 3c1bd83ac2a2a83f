/** The demo agent's MCP client: calls a tool on the server the client offered in session/new. */
import type { McpServer } from '@agentclientprotocol/sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export async function callTool(servers: readonly McpServer[], name: string, args: unknown): Promise<string> {
  const server = servers[0];
  if (server === undefined) return 'tool error: the client offered no MCP server';
  const transport =
    'type' in server && server.type === 'http'
      ? new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: Object.fromEntries(server.headers.map((h) => [h.name, h.value])) },
        })
      : 'command' in server
        ? new StdioClientTransport({
            command: server.command,
            args: server.args,
            env: Object.fromEntries(server.env.map((e) => [e.name, e.value])),
          })
        : undefined;
  if (transport === undefined) return 'tool error: unsupported MCP server type';
  const client = new Client({ name: 'agentforge-demo', version: '1' });
  try {
    await client.connect(transport);
    const res = await client.callTool({ name, arguments: (args ?? {}) as Record<string, unknown> });
    const text = (res.content as Array<{ type: string; text?: string }>)
      .map((c) => (c.type === 'text' ? c.text : `[${c.type}]`))
      .join('\n');
    return res.isError === true ? `tool error: ${text}` : `tool ok: ${text}`;
  } catch (err) {
    return `tool error: ${(err as Error).message}`;
  } finally {
    await client.close().catch(() => undefined);
  }
}
