import { REQUEST_ID_RE, RequestIds } from './request-ids.js';
import type { PermissionOption, RequestPermissionRequest } from '@agentclientprotocol/sdk';
import { describe, expect, it } from 'vitest';
import { decideByPolicy, PendingPermissions, toResponse, type RequestContext } from './permissions.js';

const BOTH: PermissionOption[] = [
  { optionId: 'yes', name: 'Allow', kind: 'allow_once' },
  { optionId: 'no', name: 'Reject', kind: 'reject_once' },
];

function req(
  kind: RequestPermissionRequest['toolCall']['kind'],
  options: PermissionOption[] = BOTH,
  title = 'a tool call',
): RequestPermissionRequest {
  return { sessionId: 's', toolCall: { toolCallId: 't', title, kind }, options };
}

const CTX: RequestContext = { tool: { name: undefined, mcpServer: undefined }, workspace: '/srv/ws' };

describe('decideByPolicy', () => {
  it("lets the daemon's own tools through under every policy: the tool server authorizes them", () => {
    const ctx = { ...CTX, tool: { name: 'list_groups', mcpServer: 'agentforge' } };
    for (const mode of ['deny-all', 'approve-reads', 'ask', 'approve-all'] as const)
      expect(decideByPolicy(mode, req('other'), ctx)).toEqual({
        allow: true,
        optionId: 'yes',
        by: 'tool_server',
        decidedBy: null,
      });
    // Another MCP server's tools are the policy's to decide.
    const foreign = { ...CTX, tool: { name: 'list_groups', mcpServer: 'evil' } };
    expect(decideByPolicy('deny-all', req('other'), foreign)?.allow).toBe(false);
  });

  it('approve-reads decides by the tool itself where the adapter names it, and by where it reads', () => {
    const named = (name: string) => ({ ...CTX, tool: { name, mcpServer: undefined } });
    expect(decideByPolicy('approve-reads', req('read'), named('Read'))?.allow).toBe(true);
    // A shell command the agent labelled "read" is not a read.
    expect(decideByPolicy('approve-reads', req('read'), named('Bash'))?.allow).toBe(false);
    const at = (path: string): RequestPermissionRequest => ({
      ...req('read'),
      toolCall: { toolCallId: 't', kind: 'read', locations: [{ path }] },
    });
    expect(decideByPolicy('approve-reads', at('/srv/ws/notes.md'), named('Read'))?.allow).toBe(true);
    expect(decideByPolicy('approve-reads', at('notes/a.md'), CTX)?.allow).toBe(true);
    expect(decideByPolicy('approve-reads', at('/srv/home/api.token'), named('Read'))?.allow).toBe(false);
    expect(decideByPolicy('approve-reads', at('/srv/ws/../home/api.token'), CTX)?.allow).toBe(false);
  });

  it('approve-all allows everything, deny-all rejects everything', () => {
    for (const kind of ['read', 'edit', 'execute', 'delete', undefined] as const) {
      expect(decideByPolicy('approve-all', req(kind), CTX)).toEqual({
        allow: true,
        optionId: 'yes',
        by: 'policy',
        decidedBy: null,
      });
      expect(decideByPolicy('deny-all', req(kind), CTX)).toEqual({
        allow: false,
        optionId: 'no',
        by: 'policy',
        decidedBy: null,
      });
    }
  });

  it('approve-reads allows read-only kinds and rejects the rest', () => {
    for (const kind of ['read', 'search', 'think', 'fetch'] as const)
      expect(decideByPolicy('approve-reads', req(kind), CTX)?.allow).toBe(true);
    for (const kind of ['edit', 'delete', 'move', 'execute', 'other', undefined] as const)
      expect({ kind, d: decideByPolicy('approve-reads', req(kind), CTX) }).toEqual({
        kind,
        d: { allow: false, optionId: 'no', by: 'policy', decidedBy: null },
      });
  });

  it('ask leaves the decision to the operator', () => {
    expect(decideByPolicy('ask', req('read'), CTX)).toBeUndefined();
    expect(decideByPolicy('ask', req('edit'), CTX)).toBeUndefined();
  });

  it('picks the matching option, preferring once over always, or none when the agent offers none', () => {
    const always: PermissionOption[] = [
      { optionId: 'always-no', name: 'Never', kind: 'reject_always' },
      { optionId: 'always-yes', name: 'Always', kind: 'allow_always' },
      { optionId: 'once-yes', name: 'Once', kind: 'allow_once' },
    ];
    expect(decideByPolicy('approve-all', req('edit', always), CTX)?.optionId).toBe('once-yes');
    expect(decideByPolicy('deny-all', req('edit', always), CTX)?.optionId).toBe('always-no');
    const allowOnly: PermissionOption[] = [{ optionId: 'ok', name: 'OK', kind: 'allow_once' }];
    const denied = decideByPolicy('deny-all', req('edit', allowOnly), CTX)!;
    expect(denied.optionId).toBeNull();
    // No reject option to select: the answer is `cancelled`, never the allow option.
    expect(toResponse(denied)).toEqual({ outcome: { outcome: 'cancelled' } });
    expect(toResponse(decideByPolicy('approve-all', req('edit'), CTX)!)).toEqual({
      outcome: { outcome: 'selected', optionId: 'yes' },
    });
  });
});

describe('PendingPermissions', () => {
  it('parks a request until the operator answers it', async () => {
    const p = new PendingPermissions();
    const asked = p.ask(req('edit', BOTH, 'edit main.ts'), 60_000, undefined, 1_000);
    expect(p.list()).toEqual([
      {
        id: asked.id,
        title: 'edit main.ts',
        kind: 'edit',
        options: BOTH,
        askedAt: 1_000,
        expiresAt: 61_000,
      },
    ]);
    let settled = false;
    void asked.decision.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);

    expect(p.answer(asked.id, true, 'telegram:111', 2_000)?.id).toBe(asked.id);
    expect(await asked.decision).toEqual({
      allow: true,
      optionId: 'yes',
      by: 'operator',
      decidedBy: 'telegram:111',
    });
    expect(p.list()).toEqual([]);
    expect(p.answer(asked.id, false, 'cli')).toBeUndefined(); // answered once only
  });

  it('answers the oldest request when no id is given, and rejects unknown ids', async () => {
    const p = new PendingPermissions();
    const first = p.ask(req('edit'), 60_000);
    const second = p.ask(req('execute'), 60_000);
    expect(first.id).not.toBe(second.id);
    expect(p.answer('p999', true, 'cli')).toBeUndefined();
    expect(p.answer(undefined, false, 'cli')?.id).toBe(first.id);
    expect(await first.decision).toEqual({ allow: false, optionId: 'no', by: 'operator', decidedBy: 'cli' });
    expect(p.list().map((x) => x.id)).toEqual([second.id]);
    p.answer(undefined, true, 'api');
    expect((await second.decision).allow).toBe(true);
  });

  it('rejects a request nobody answers within the timeout', async () => {
    const p = new PendingPermissions();
    const asked = p.ask(req('edit'), 30);
    const t0 = Date.now();
    expect(await asked.decision).toEqual({ allow: false, optionId: 'no', by: 'timeout', decidedBy: null });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(p.list()).toEqual([]);
    expect(p.answer(asked.id, true, 'cli')).toBeUndefined(); // too late
  });

  it('refuses an answer past the deadline even before the timer has run (a busy event loop)', async () => {
    const p = new PendingPermissions();
    const asked = p.ask(req('edit'), 60_000, undefined, 1_000);
    expect(p.answer(asked.id, true, 'telegram:111', 61_000)).toBeUndefined();
    expect(await asked.decision).toEqual({ allow: false, optionId: 'no', by: 'timeout', decidedBy: null });
    expect(p.list()).toEqual([]);
  });

  it('gives every request a random id, unique across sessions sharing one id source', () => {
    const ids = new RequestIds();
    const a = new PendingPermissions(ids);
    const b = new PendingPermissions(ids);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      for (const p of [a, b]) {
        const { id, decision } = p.ask(req('edit'), 60_000);
        void decision;
        expect(id).toMatch(REQUEST_ID_RE);
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    // Not p1, p2, …: consecutive ids share no counter (a guess from one's own id finds nothing).
    // (Any one random id is all digits with p = 1/4096, so "none is" would fail now and then.)
    expect([...seen].every((id) => /^p\d+$/.test(id))).toBe(false);
    const numbers = [...seen].filter((id) => /^p\d+$/.test(id)).map((id) => Number(id.slice(1)));
    expect(numbers.some((n, i) => i > 0 && n === (numbers[i - 1] ?? 0) + 1)).toBe(false);
    a.rejectAll();
    b.rejectAll();
  });

  it('rejectAll settles everything pending as a rejection', async () => {
    const p = new PendingPermissions();
    const a = p.ask(req('edit'), 60_000);
    const b = p.ask(req('read'), 60_000);
    p.rejectAll();
    expect((await a.decision).allow).toBe(false);
    expect((await b.decision).allow).toBe(false);
    expect(p.list()).toEqual([]);
  });
});
