/**
 * A session's event log, live: replayed from the start, then streamed (SSE with Last-Event-ID, so
 * a dropped connection resumes without gaps or duplicates). Also turns the log into the two views
 * the pages show: a readable event list and a chat transcript.
 */
import { useState } from 'preact/hooks';
import { useStream, type StreamState } from './hooks.js';
import type { SessionEvent } from './types.js';

/** Every kind the daemon writes to an event log (SSE event names); src/sessions and src/daemon. */
export const EVENT_KINDS = [
  'update',
  'prompt',
  'permission_asked',
  'permission',
  'turn_end',
  'failure',
  'process',
  'resume_failed',
  'agent_notice',
  'fs_write',
  'tool_call',
  'tool_result',
  'events_lost',
  'message',
] as const;

/** Kept in the page; older events stay in the log (agentforge session events). */
const MAX_EVENTS = 2_000;

export function useSessionEvents(
  id: string | null,
  onEvent?: (e: SessionEvent) => void,
): { events: SessionEvent[]; state: StreamState } {
  const [events, setEvents] = useState<SessionEvent[]>([]);
  const [forId, setForId] = useState<string | null>(id);
  if (forId !== id) {
    setForId(id);
    setEvents([]);
  }
  const state = useStream<SessionEvent>(
    id === null ? null : `/api/sessions/${encodeURIComponent(id)}/events?follow=1`,
    EVENT_KINDS,
    (e) => {
      setEvents((prev) => {
        if (prev.length > 0 && (prev[prev.length - 1] as SessionEvent).seq >= e.seq) return prev;
        const next = [...prev, e];
        return next.length > MAX_EVENTS ? next.slice(-MAX_EVENTS) : next;
      });
      onEvent?.(e);
    },
  );
  return { events, state };
}

const chunkText = (e: SessionEvent): string | undefined => {
  if (e.kind !== 'update' || e.data['sessionUpdate'] !== 'agent_message_chunk') return undefined;
  const c = e.data['content'] as { type?: string; text?: string } | undefined;
  return c?.type === 'text' ? (c.text ?? '') : undefined;
};

export type Line = { key: number; at: number; kind: string; text: string };

/** One line per event, with an agent's streamed chunks of one turn merged into one line. */
export function eventLines(events: readonly SessionEvent[]): Line[] {
  const out: Line[] = [];
  let reply: { line: Line; turn: number | null } | undefined;
  for (const e of events) {
    const chunk = chunkText(e);
    if (chunk !== undefined) {
      if (reply !== undefined && reply.turn === e.turn) {
        reply.line.text += chunk;
        continue;
      }
      reply = { line: { key: e.seq, at: e.ts, kind: 'agent', text: chunk }, turn: e.turn };
      out.push(reply.line);
      continue;
    }
    reply = undefined;
    out.push({
      key: e.seq,
      at: e.ts,
      kind: e.kind === 'update' ? String(e.data['sessionUpdate']) : e.kind,
      text: describe(e),
    });
  }
  return out;
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

function describe(e: SessionEvent): string {
  const d = e.data;
  switch (e.kind) {
    case 'prompt':
      return str(d['text']);
    case 'turn_end':
      return `turn ${e.turn ?? ''} ended: ${String(d['stop_reason'])} in ${String(d['duration_ms'])} ms`;
    case 'failure':
      return `${String(d['kind'])}: ${String(d['message'])}`;
    case 'permission_asked':
      return `asks permission to ${String(d['kind'])}: "${String(d['title'])}" (request ${String(d['id'])})`;
    case 'permission':
      return `${d['allow'] ? 'allowed' : 'denied'} ${String(d['kind'])} "${String(d['title'])}" by ${String(d['by'])}${d['decided_by'] ? ` (${str(d['decided_by'])})` : ''}`;
    case 'process':
      return `${String(d['event'])} pid ${String(d['pid'])}`;
    case 'update': {
      const title = d['title'];
      return typeof title === 'string' ? title : JSON.stringify(d).slice(0, 300);
    }
    default:
      return JSON.stringify(d).slice(0, 300);
  }
}

export type Message =
  | { key: number; who: 'user' | 'agent'; text: string; done: boolean }
  | { key: number; who: 'note'; text: string; done: true };

/** The conversation: the operator's prompts, the agent's replies (growing while they stream), failures. */
export function transcript(events: readonly SessionEvent[]): Message[] {
  const out: Message[] = [];
  let reply: Message | undefined;
  for (const e of events) {
    const chunk = chunkText(e);
    if (chunk !== undefined) {
      if (reply === undefined) {
        reply = { key: e.seq, who: 'agent', text: '', done: false };
        out.push(reply);
      }
      reply.text += chunk;
    } else if (e.kind === 'prompt') {
      reply = undefined;
      out.push({ key: e.seq, who: 'user', text: str(e.data['text']), done: true });
    } else if (e.kind === 'turn_end') {
      if (reply !== undefined) reply.done = true;
      reply = undefined;
    } else if (e.kind === 'failure') {
      reply = undefined;
      out.push({
        key: e.seq,
        who: 'note',
        text: `The turn failed (${String(e.data['kind'])}): ${String(e.data['message'])}`,
        done: true,
      });
    }
  }
  return out;
}
