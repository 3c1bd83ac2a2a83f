import type { RequestPermissionRequest } from '@agentclientprotocol/sdk';
import { describe, expect, it } from 'vitest';
import { identifyTool, ToolCallIndex } from './tool-identity.js';

const options = [{ optionId: 'allow-once', name: 'Yes', kind: 'allow_once' as const }];

// Shapes as the pinned adapters send them (research notes in docs/agents.md).
describe('identifyTool', () => {
  it('claude-agent-acp: an MCP tool by _meta.claudeCode, a built-in by its name', () => {
    const mcp = {
      sessionId: 's',
      options,
      toolCall: {
        toolCallId: 'toolu_1',
        name: 'mcp__agentforge__list_groups',
        title: 'mcp__agentforge__list_groups',
        kind: 'other',
        rawInput: {},
        _meta: {
          claudeCode: { toolName: 'mcp__agentforge__list_groups', mcpServer: { name: 'agentforge' } },
        },
      },
    } as RequestPermissionRequest;
    expect(identifyTool(mcp, undefined)).toEqual({ name: 'list_groups', mcpServer: 'agentforge' });
    const bash = {
      sessionId: 's',
      options,
      toolCall: { toolCallId: 'toolu_2', name: 'Bash', title: 'echo hi > f', kind: 'execute' },
    } as RequestPermissionRequest;
    expect(identifyTool(bash, undefined)).toEqual({ name: 'Bash', mcpServer: undefined });
  });

  it('codex-acp: an MCP approval is matched to the tool_call that preceded it', () => {
    const index = new ToolCallIndex();
    index.observe({
      sessionUpdate: 'tool_call',
      toolCallId: 'call_9',
      kind: 'execute',
      title: 'mcp.agentforge.list_groups',
      status: 'in_progress',
      rawInput: { server: 'agentforge', tool: 'list_groups', arguments: {} },
      _meta: { is_mcp_tool_call: true },
    });
    const req = {
      sessionId: 's',
      options,
      toolCall: { toolCallId: 'call_9', kind: 'execute', status: 'pending' },
      _meta: { is_mcp_tool_approval: true },
    } as RequestPermissionRequest;
    expect(identifyTool(req, index.get('call_9'))).toEqual({ name: 'list_groups', mcpServer: 'agentforge' });
    // The same request without its tool_call says nothing about a tool: it is not ours.
    expect(identifyTool(req, undefined)).toEqual({ name: undefined, mcpServer: undefined });
  });

  it('gemini: the toolCallId names the function called, trusted only when the preset says so', () => {
    const req = {
      sessionId: 's',
      options,
      toolCall: {
        toolCallId: 'mcp_agentforge_list_groups__1733000000',
        title: 'list_groups (agentforge MCP Server)',
        kind: 'other',
      },
    } as RequestPermissionRequest;
    expect(identifyTool(req, undefined, { idNamesToolOf: 'agentforge' })).toEqual({
      name: 'list_groups',
      mcpServer: 'agentforge',
    });
    const shell = {
      ...req,
      toolCall: { ...req.toolCall, toolCallId: 'run_shell_command__17', kind: 'execute' },
    } as RequestPermissionRequest;
    expect(identifyTool(shell, undefined, { idNamesToolOf: 'agentforge' })).toEqual({
      name: 'run_shell_command',
      mcpServer: undefined,
    });
    // From any other agent the id is the model's own call_id: it proves nothing.
    expect(identifyTool(req, undefined).mcpServer).toBeUndefined();
  });

  it('a title alone never makes a call one of ours', () => {
    const req = {
      sessionId: 's',
      options,
      toolCall: { toolCallId: 'x', title: 'mcp__agentforge__send_message', kind: 'execute' },
    } as RequestPermissionRequest;
    expect(identifyTool(req, undefined).mcpServer).toBeUndefined();
  });
});

describe('ToolCallIndex', () => {
  it('remembers a bounded number of calls', () => {
    const index = new ToolCallIndex();
    for (let i = 0; i < 300; i++)
      index.observe({ sessionUpdate: 'tool_call', toolCallId: `c${i}`, title: 't' });
    expect(index.get('c0')).toBeUndefined();
    expect(index.get('c299')?.toolCallId).toBe('c299');
  });
});
