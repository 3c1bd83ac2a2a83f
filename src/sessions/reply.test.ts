import { describe, expect, it } from 'vitest';
import { ReplyAssembler } from './reply.js';

type U = Parameters<ReplyAssembler['add']>[0];
const chunk = (text: string, messageId?: string): U => ({
  sessionUpdate: 'agent_message_chunk',
  content: { type: 'text', text },
  ...(messageId ? { messageId } : {}),
});
const toolCall = { sessionUpdate: 'tool_call', toolCallId: 't1', title: 'Bash' } as U;

describe('ReplyAssembler', () => {
  it('keeps the narration before a tool call apart from the answer after it', () => {
    const r = new ReplyAssembler();
    for (const u of [chunk('NARRATION before '), chunk('tool call 1.'), toolCall, chunk('FINAL after')])
      r.add(u);
    expect(r.finish()).toEqual({
      messages: ['NARRATION before tool call 1.', 'FINAL after'],
      notices: [],
      text: 'NARRATION before tool call 1.\n\nFINAL after',
    });
  });

  it('starts a new message when the messageId changes, with nothing in between', () => {
    const r = new ReplyAssembler();
    for (const u of [chunk('one', 'm1'), chunk(' more', 'm1'), chunk('two', 'm2')]) r.add(u);
    expect(r.finish().messages).toEqual(['one more', 'two']);
  });

  it('does not split a message on metadata updates such as usage', () => {
    const r = new ReplyAssembler();
    r.add(chunk('half '));
    r.add({ sessionUpdate: 'usage_update', used: 1, size: 2 });
    r.add(chunk('whole'));
    expect(r.finish().text).toBe('half whole');
  });

  it('sets adapter notices apart: marked informational, or without an id among messages with ids', () => {
    const r = new ReplyAssembler();
    const info = {
      ...chunk("**Warning:** We're changing auto mode"),
      _meta: { claudeCode: { kind: 'informational', level: 'warning' } },
    } as U;
    for (const u of [info, chunk('Model metadata not found\n\n'), chunk('answer', 'm1'), chunk('  \n', 'm2')])
      r.add(u);
    expect(r.finish()).toEqual({
      messages: ['answer'],
      notices: ["**Warning:** We're changing auto mode", 'Model metadata not found'],
      text: 'answer',
    });
  });

  it('keeps one message whole when a tool call arrives between its chunks (same messageId)', () => {
    const r = new ReplyAssembler();
    for (const u of [chunk('Let me ', 'm1'), toolCall, chunk('check.', 'm1'), toolCall, chunk('Done.', 'm2')])
      r.add(u);
    expect(r.finish().messages).toEqual(['Let me check.', 'Done.']);
  });

  it('a permission request between id-less chunks ends a message (gemini sends no tool_call first)', () => {
    const r = new ReplyAssembler();
    r.add(chunk('Shall I?'));
    r.break();
    r.add(chunk('Refused, so no.'));
    expect(r.finish().messages).toEqual(['Shall I?', 'Refused, so no.']);
  });

  it('returns a single message unchanged', () => {
    const r = new ReplyAssembler();
    r.add(chunk('chunk 1\nchunk 2\n'));
    expect(r.finish().text).toBe('chunk 1\nchunk 2\n');
  });

  it("trims only the blank lines at the seams, keeping a code line's indentation", () => {
    const r = new ReplyAssembler();
    for (const u of [chunk('first\n\n'), toolCall, chunk('\n    indented\n')]) r.add(u);
    expect(r.finish().text).toBe('first\n\n    indented\n');
  });
});
