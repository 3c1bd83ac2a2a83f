import { describe, expect, it } from 'vitest';
import { describeEvent } from './session.js';

const ev = (kind: string, data: Record<string, unknown>) => ({ seq: 1, ts: 0, turn: 1, kind, data });

describe('session events, as people read them', () => {
  it("shows a tool call's name, kind and status as each adapter reports them", () => {
    expect(
      describeEvent(
        ev('update', {
          sessionUpdate: 'tool_call',
          toolCallId: 'toolu_1',
          title: 'echo hi > f',
          kind: 'execute',
          status: 'pending',
          _meta: { claudeCode: { toolName: 'Bash' } },
        }),
      ),
    ).toBe('tool_call toolu_1 Bash (execute) pending: echo hi > f');
    expect(
      describeEvent(
        ev('update', {
          sessionUpdate: 'tool_call',
          toolCallId: 'call_9',
          title: 'mcp.agentforge.list_groups',
          kind: 'execute',
          status: 'in_progress',
          rawInput: { server: 'agentforge', tool: 'list_groups', arguments: {} },
          _meta: { is_mcp_tool_call: true },
        }),
      ),
    ).toBe('tool_call call_9 agentforge.list_groups (execute) in_progress: mcp.agentforge.list_groups');
    expect(
      describeEvent(
        ev('update', {
          sessionUpdate: 'tool_call_update',
          toolCallId: 'run_shell_command__7',
          status: 'completed',
        }),
      ),
    ).toBe('tool_call_update run_shell_command__7 run_shell_command completed');
  });

  it('shows who decided a permission request', () => {
    expect(
      describeEvent(
        ev('permission', { allow: false, by: 'policy', tool: 'Bash', kind: 'execute', title: 'rm -rf x' }),
      ),
    ).toBe('permission refused by policy: Bash "rm -rf x"');
  });
});
