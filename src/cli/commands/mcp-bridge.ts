/**
 * `agentforge mcp-bridge`: for agents that only take stdio MCP servers. Relays MCP messages between
 * stdin/stdout and the daemon's streamable-HTTP tool endpoint, with the session's token from the
 * environment the daemon gave this process.
 */
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

export function registerMcpBridge(program: Command, ctx: () => Ctx): void {
  program
    .command('mcp-bridge')
    .description('stdio ↔ HTTP relay to the daemon tool server (started by the daemon for stdio-only agents)')
    .action(async () => {
      const c = ctx();
      const url = c.env['AGENTFORGE_MCP_URL'];
      const token = c.env['AGENTFORGE_MCP_TOKEN'];
      if (url === undefined || token === undefined) {
        throw new CliError(
          'mcp-bridge is started by the daemon for an agent; AGENTFORGE_MCP_URL and AGENTFORGE_MCP_TOKEN are not set',
          EXIT.usage,
        );
      }
      const [{ StreamableHTTPClientTransport }, { StdioServerTransport }] = await Promise.all([
        import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
        import('@modelcontextprotocol/sdk/server/stdio.js'),
      ]);
      const http = new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      });
      const stdio = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => {
        stdio.onclose = () => resolve();
        http.onclose = () => resolve();
      });
      stdio.onmessage = (msg) =>
        void http.send(msg).catch((err: Error) => process.stderr.write(`mcp-bridge: ${err.message}\n`));
      http.onmessage = (msg) => void stdio.send(msg);
      await http.start();
      await stdio.start();
      process.stdin.once('end', () => void stdio.close());
      await closed;
      await http.close();
      return c.exit(EXIT.ok);
    });
}
