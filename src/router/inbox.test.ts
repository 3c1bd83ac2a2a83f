import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/db.js';
import { GroupsRepo } from '../store/groups-repo.js';
import { MessagesRepo, type MessageRow } from '../store/messages-repo.js';
import { migrate } from '../store/migrate.js';
import { GLOBAL_MIGRATIONS } from '../store/migrations/index.js';
import { OutboxRepo, type OutboxRow } from '../store/outbox-repo.js';
import { MAX_PENDING_CODES, PAIRING_TTL_MS, PairingRepo } from '../store/pairing-repo.js';
import { RequestIds } from '../sessions/request-ids.js';
import { Inbox, type DmPolicy } from './inbox.js';
import type { InboundMessage } from './ports.js';

const T0 = 1_700_000_000_000;
const CODE = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$/;

let dir: string;
let db: Db;
let groups: GroupsRepo;
let messages: MessagesRepo;
let outbox: OutboxRepo;
let pairing: PairingRepo;
let now: number;
let queuedCalls: Array<ReadonlySet<string>>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'af-inbox-'));
  db = openDatabase(join(dir, 'agentforge.db'));
  migrate(db, GLOBAL_MIGRATIONS, 'agentforge.db');
  groups = new GroupsRepo(db);
  messages = new MessagesRepo(db);
  outbox = new OutboxRepo(db);
  pairing = new PairingRepo(db);
  now = T0;
  queuedCalls = [];
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

type InboxOpts = { dmPolicy?: DmPolicy; allowedUsers?: string[]; trigger?: string | null };

function inbox(opts: InboxOpts = {}): Inbox {
  return new Inbox(inboxDeps(opts));
}

function inboxDeps(opts: InboxOpts = {}): ConstructorParameters<typeof Inbox>[0] {
  return {
    db,
    groups,
    messages,
    outbox,
    pairing,
    dmPolicy: opts.dmPolicy ?? 'pairing',
    allowedUsers: opts.allowedUsers ?? ['111'],
    trigger: () => (opts.trigger === undefined ? '@forge_test_bot' : opts.trigger),
    onQueued: (g) => queuedCalls.push(new Set(g)),
    log: pino({ level: 'silent' }),
    now: () => now,
  };
}

let nextMessageId = 1;
function msg(over: Partial<InboundMessage> = {}): InboundMessage {
  const senderId = over.senderId ?? '111';
  return {
    channel: 'telegram',
    chatId: senderId,
    chatType: 'private',
    chatTitle: null,
    messageId: String(nextMessageId++),
    senderId,
    senderName: 'Ann',
    senderUsername: null,
    text: 'hello',
    ts: now,
    mentionsBot: false,
    replyToBot: false,
    ...over,
  };
}

const allMessages = (): MessageRow[] =>
  db.prepare('SELECT * FROM messages ORDER BY id').all() as MessageRow[];
const allOutbox = (): OutboxRow[] => db.prepare('SELECT * FROM outbox ORDER BY id').all() as OutboxRow[];
const codeIn = (text: string): string | undefined => /code is ([A-Z0-9]+)/.exec(text)?.[1];

describe('direct chats, dm_policy = pairing', () => {
  it('an allowlisted user becomes their own group on first contact and is answered', () => {
    const ib = inbox();
    ib.accept([msg({ text: 'hi there' })]);
    const g = groups.byChat('telegram', '111');
    expect(g).toMatchObject({ folder: 'dm-111', is_dm: 1, agent: null });
    expect(allMessages()).toMatchObject([
      { group_folder: 'dm-111', status: 'queued', triggered: 1, text: 'hi there' },
    ]);
    expect(queuedCalls).toEqual([new Set(['dm-111'])]);
    expect(allOutbox()).toHaveLength(0);
  });

  it('an unknown user gets an 8-character code from the unambiguous alphabet and reaches no agent', () => {
    const ib = inbox();
    ib.accept([msg({ senderId: '222', text: 'secret plan' })]);
    expect(allMessages()).toHaveLength(0);
    expect(groups.byChat('telegram', '222')).toBeUndefined();
    expect(queuedCalls).toHaveLength(0);
    const [row] = allOutbox();
    expect(row).toMatchObject({ chat_id: '222', source: 'system', group_folder: null });
    const code = codeIn(row!.text);
    expect(code).toMatch(CODE);
    expect(pairing.pending(now)).toMatchObject([{ code, user_id: '222', expires_at: T0 + 3_600_000 }]);
    expect(ib.stats.pairingCodes).toBe(1);
  });

  it('codes never use look-alike characters', () => {
    const ib = inbox();
    const seen = new Set<string>();
    // Issue many codes (three at a time, then let them expire) and inspect every character.
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 3; i++) ib.accept([msg({ senderId: `${1000 + round * 3 + i}` })]);
      now += PAIRING_TTL_MS + 1;
    }
    for (const r of allOutbox()) seen.add(codeIn(r.text) ?? '');
    expect(seen.size).toBe(120);
    for (const c of seen) expect(c).toMatch(CODE);
    expect([...seen].join('')).not.toMatch(/[01OIL]/);
  });

  it('the same user asking again gets no second code while the first is live', () => {
    const ib = inbox();
    ib.accept([msg({ senderId: '222' })]);
    now += 60_000;
    ib.accept([msg({ senderId: '222' })]);
    expect(allOutbox()).toHaveLength(1);
    expect(pairing.pending(now)).toHaveLength(1);
  });

  it('a fourth (and fiftieth) stranger still gets a code: one pending code per user, not three in all', () => {
    const ib = inbox();
    const ids = Array.from({ length: 50 }, (_, i) => String(301 + i));
    for (const id of ids) ib.accept([msg({ senderId: id })]);
    expect(allOutbox().map((r) => r.chat_id)).toEqual(ids);
    expect(pairing.pending(now)).toHaveLength(50);
    // Asking again keeps the one code: no new row, no second reply.
    for (const id of ids.slice(0, 5)) ib.accept([msg({ senderId: id })]);
    expect(pairing.pending(now)).toHaveLength(50);
    expect(allOutbox()).toHaveLength(50);
    expect(allMessages()).toHaveLength(0);
  });

  it('the global cap bounds rows for someone with many accounts; warned once; expired rows are dropped', () => {
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const ib = new Inbox({ ...inboxDeps(), log });
    for (let i = 0; i < MAX_PENDING_CODES + 20; i++) ib.accept([msg({ senderId: String(10_000 + i) })]);
    expect(pairing.pending(now)).toHaveLength(MAX_PENDING_CODES);
    expect(allOutbox()).toHaveLength(MAX_PENDING_CODES);
    expect(warnings.filter((w) => w.includes('pairing refused'))).toHaveLength(1);
    // An hour on, the old codes are gone from the table and newcomers get codes again.
    now += PAIRING_TTL_MS + 1;
    ib.accept([msg({ senderId: '99999' })]);
    const rows = db.prepare('SELECT COUNT(*) AS n FROM pairing_codes').get() as { n: number };
    expect(rows.n).toBe(1);
    expect(pairing.pending(now)).toMatchObject([{ user_id: '99999' }]);
  });

  it('a code expires after one hour: it cannot be approved, and the user may get a new one', () => {
    const ib = inbox();
    ib.accept([msg({ senderId: '222' })]);
    const first = codeIn(allOutbox()[0]!.text)!;
    expect(pairing.approve(first, T0 + PAIRING_TTL_MS)).toBeUndefined(); // expired exactly at 1 h
    now = T0 + PAIRING_TTL_MS - 1;
    expect(pairing.pending(now)).toHaveLength(1);
    now = T0 + PAIRING_TTL_MS + 1;
    expect(pairing.pending(now)).toHaveLength(0);
    ib.accept([msg({ senderId: '222' })]);
    const rows = allOutbox();
    expect(rows).toHaveLength(2);
    const second = codeIn(rows[1]!.text)!;
    expect(second).toMatch(CODE);
    expect(second).not.toBe(first);
    expect(pairing.approve(first, now)).toBeUndefined();
    expect(pairing.approve(second.toLowerCase(), now)).toMatchObject({ user_id: '222' });
  });

  it('an approved user is admitted on their next message', () => {
    const ib = inbox();
    ib.accept([msg({ senderId: '222', text: 'let me in' })]);
    const code = codeIn(allOutbox()[0]!.text)!;
    const row = pairing.approve(code, now)!;
    groups.approve(row.channel, row.user_id, now);
    ib.accept([msg({ senderId: '222', text: 'echo thanks' })]);
    expect(groups.byChat('telegram', '222')?.folder).toBe('dm-222');
    expect(allMessages()).toMatchObject([{ text: 'echo thanks', status: 'queued' }]);
    // The message sent before approval was never stored: it does not reach the agent later.
    expect(allMessages().some((m) => m.text === 'let me in')).toBe(false);
  });

  it('allows users listed by username, with or without @, case-insensitively', () => {
    const ib = inbox({ allowedUsers: ['@Carol', 'dave'] });
    ib.accept([
      msg({ senderId: '401', senderUsername: 'carol' }),
      msg({ senderId: '402', senderUsername: 'DAVE' }),
      msg({ senderId: '403', senderUsername: 'eve' }),
    ]);
    expect(groups.list().map((g) => g.folder)).toEqual(['dm-401', 'dm-402']);
    expect(allOutbox().map((r) => r.chat_id)).toEqual(['403']); // eve gets a pairing code
  });
});

describe('direct chats, other policies', () => {
  it('allowlist: listed users are answered, strangers are ignored without a code', () => {
    const ib = inbox({ dmPolicy: 'allowlist' });
    ib.accept([msg({ senderId: '111' }), msg({ senderId: '222' })]);
    expect(allMessages().map((m) => m.sender_id)).toEqual(['111']);
    expect(allOutbox()).toHaveLength(0);
    expect(pairing.pending(now)).toHaveLength(0);
    expect(ib.stats.ignored).toBe(1);
  });

  it('allowlist: an approval from pairing does not admit a user who is not listed', () => {
    groups.approve('telegram', '222', now);
    const ib = inbox({ dmPolicy: 'allowlist' });
    ib.accept([msg({ senderId: '222' })]);
    expect(allMessages()).toHaveLength(0);
  });

  it('disabled: nobody is answered in direct chats, not even listed users', () => {
    const ib = inbox({ dmPolicy: 'disabled' });
    ib.accept([msg({ senderId: '111' }), msg({ senderId: '222' })]);
    expect(allMessages()).toHaveLength(0);
    expect(groups.list()).toHaveLength(0);
    expect(allOutbox()).toHaveLength(0);
    expect(queuedCalls).toHaveLength(0);
  });
});

describe('group chats', () => {
  const groupMsg = (over: Partial<InboundMessage> = {}): InboundMessage =>
    msg({ chatId: '-100', chatType: 'group', chatTitle: 'Team', senderId: '5', ...over });

  it('an unregistered group is ignored entirely, even from an allowlisted user', () => {
    const ib = inbox();
    ib.accept([groupMsg({ senderId: '111', text: '@forge_test_bot hello', mentionsBot: true })]);
    expect(allMessages()).toHaveLength(0);
    expect(groups.list()).toHaveLength(0);
    expect(allOutbox()).toHaveLength(0);
    expect(ib.stats.ignored).toBe(1);
  });

  it('a registered group keeps untriggered messages as context and queues a triggered one', () => {
    groups.add({ folder: 'team', channel: 'telegram', chatId: '-100', trigger: '@Andy' }, now);
    const ib = inbox();
    ib.accept([groupMsg({ text: 'the budget is 42' })]);
    expect(allMessages()).toMatchObject([{ status: 'context', triggered: 0 }]);
    expect(queuedCalls).toHaveLength(0);
    ib.accept([groupMsg({ text: 'hey @andy, the budget?' })]); // trigger is case-insensitive
    expect(allMessages().map((m) => m.status)).toEqual(['context', 'queued']);
    expect(queuedCalls).toEqual([new Set(['team'])]);
    expect(messages.nextBatch('team', now).map((m) => m.text)).toEqual([
      'the budget is 42',
      'hey @andy, the budget?',
    ]);
  });

  it('the trigger is a name, not a prefix, and is matched literally', () => {
    groups.add({ folder: 'team', channel: 'telegram', chatId: '-100', trigger: '@Andy' }, now);
    groups.add({ folder: 'ops', channel: 'telegram', chatId: '-200', trigger: '!ai?' }, now);
    const ib = inbox();
    ib.accept([
      groupMsg({ text: 'ask @Andyman about it' }),
      groupMsg({ text: "what's @andy's view?" }),
      groupMsg({ text: 'done, @ANDY.' }),
      groupMsg({ chatId: '-200', text: 'hey !a go' }),
      groupMsg({ chatId: '-200', text: 'hey !ai? go' }),
    ]);
    expect(allMessages().map((m) => [m.text, m.status])).toEqual([
      ['ask @Andyman about it', 'context'],
      ["what's @andy's view?", 'queued'],
      ['done, @ANDY.', 'queued'],
      ['hey !a go', 'context'],
      ['hey !ai? go', 'queued'],
    ]);
  });

  it('a mention of the bot or a reply to the bot triggers, whatever the trigger word', () => {
    groups.add({ folder: 'team', channel: 'telegram', chatId: '-100', trigger: '@Andy' }, now);
    const ib = inbox();
    ib.accept([
      groupMsg({ text: 'plain' }),
      groupMsg({ text: 'hi @forge_test_bot', mentionsBot: true }),
      groupMsg({ text: 'yes please', replyToBot: true }),
    ]);
    expect(allMessages().map((m) => [m.text, m.status])).toEqual([
      ['plain', 'context'],
      ['hi @forge_test_bot', 'queued'],
      ['yes please', 'queued'],
    ]);
  });

  it('without a group trigger, the configured default trigger applies', () => {
    groups.add({ folder: 'team', channel: 'telegram', chatId: '-100' }, now);
    const ib = inbox({ trigger: '@Forge' });
    ib.accept([groupMsg({ text: 'no trigger here' }), groupMsg({ text: 'ok @forge go' })]);
    expect(allMessages().map((m) => m.status)).toEqual(['context', 'queued']);
  });

  it('with no trigger at all, only mentions and replies trigger', () => {
    groups.add({ folder: 'team', channel: 'telegram', chatId: '-100' }, now);
    const ib = inbox({ trigger: null });
    ib.accept([groupMsg({ text: 'anything' }), groupMsg({ text: 'more', replyToBot: true })]);
    expect(allMessages().map((m) => m.status)).toEqual(['context', 'queued']);
  });

  it('the main group answers everything', () => {
    groups.add({ folder: 'main', channel: 'telegram', chatId: '-100', isMain: true, trigger: '@Andy' }, now);
    const ib = inbox();
    ib.accept([groupMsg({ text: 'no trigger at all' })]);
    expect(allMessages()).toMatchObject([{ status: 'queued', triggered: 1, group_folder: 'main' }]);
  });
});

describe('duplicates', () => {
  it('a redelivered message (same chat and message id) is stored once and queued once', () => {
    const ib = inbox();
    const m = msg({ messageId: '77', text: 'echo once' });
    ib.accept([m]);
    ib.accept([{ ...m }]);
    expect(allMessages()).toHaveLength(1);
    expect(ib.stats).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(queuedCalls).toHaveLength(1); // the duplicate wakes nobody
  });

  it('a duplicate inside one batch is dropped too, and does not come back after it was answered', () => {
    const ib = inbox();
    const m = msg({ messageId: '78', text: 'echo twice' });
    ib.accept([m, { ...m }]);
    expect(allMessages()).toHaveLength(1);
    const [row] = allMessages();
    messages.markProcessing([row!.id]);
    messages.markDone([row!.id], now);
    ib.accept([{ ...m }]);
    expect(allMessages()).toMatchObject([{ status: 'done' }]);
    expect(messages.groupsWithWork(now)).toEqual([]);
  });

  it('a message that cannot be stored is rejected alone; the rest of the batch is stored', () => {
    const ib = inbox({ allowedUsers: ['111', 'Ann.X', 'ann_x'] });
    ib.accept([
      msg({ messageId: '90', ts: Number.NaN }), // no valid time
      msg({ messageId: '91', text: 'kept' }),
    ]);
    expect(allMessages().map((m) => m.text)).toEqual(['kept']);
    expect(ib.stats).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it('direct-chat folders are valid names, unique even when two ids map to the same name', () => {
    const ib = inbox({ allowedUsers: ['Ann.X', 'ann_x', 'x'.repeat(80)] });
    ib.accept([
      msg({ senderId: 'Ann.X', chatId: '501' }),
      msg({ senderId: 'ann_x', chatId: '502' }),
      msg({ senderId: 'x'.repeat(80), chatId: '503' }),
    ]);
    const folders = groups.list().map((g) => g.folder);
    expect(folders).toEqual(['dm-ann_x', 'dm-ann_x-2', `dm-${'x'.repeat(61)}`]);
    for (const f of folders) expect(f).toMatch(/^[a-z0-9][a-z0-9_-]{0,63}$/);
    expect(allMessages()).toHaveLength(3);
  });

  it('the same message id in another chat is a different message', () => {
    const ib = inbox({ allowedUsers: ['111', '112'] });
    ib.accept([msg({ messageId: '5' }), msg({ messageId: '5', senderId: '112' })]);
    expect(allMessages()).toHaveLength(2);
  });
});

describe('permission answers in the chat', () => {
  const ID = 'pk7m2qx';
  type Call = { folder: string; id: string; allow: boolean; by: string };

  /** An inbox whose approvers are `approvers`, answering requests listed in `pending` by group. */
  function answering(approvers: string[], pending: Map<string, string>): { ib: Inbox; calls: Call[] } {
    const calls: Call[] = [];
    const ib = new Inbox({
      ...inboxDeps(),
      isApprover: (channel, id) => channel === 'telegram' && approvers.includes(id),
      approvals: (folder, id, allow, by) => {
        calls.push({ folder, id, allow, by });
        if (pending.get(id) !== folder) return false;
        pending.delete(id);
        return true;
      },
    });
    return { ib, calls };
  }

  beforeEach(() => {
    groups.add({ folder: 'team', channel: 'telegram', chatId: '-100', name: 'Team', isDm: false }, now);
  });
  const inTeam = (senderId: string, text: string, over: Partial<InboundMessage> = {}) =>
    msg({ chatId: '-100', chatType: 'group', senderId, text, ...over });

  it('an approver answers; the decision names them, and the message starts no turn', () => {
    const { ib, calls } = answering(['111'], new Map([[ID, 'team']]));
    ib.accept([inTeam('111', `Approve ${ID.toUpperCase()}`)]);
    expect(calls).toEqual([{ folder: 'team', id: ID, allow: true, by: 'telegram:111' }]);
    expect(allOutbox().map((o) => o.text)).toEqual([`Approved ${ID}.`]);
    expect(allMessages()).toMatchObject([{ status: 'context', triggered: 0 }]);
    expect(queuedCalls).toHaveLength(0);
  });

  it('anyone else (the requester too) changes nothing, is told once, and reaches no agent', () => {
    const pending = new Map([[ID, 'team']]);
    const { ib, calls } = answering(['111'], pending);
    ib.accept([inTeam('222', `approve ${ID}`)]);
    ib.accept([inTeam('222', `approve ${ID}`)]); // a second try: no second reply
    ib.accept([inTeam('333', `deny ${ID}`)]);
    expect(calls).toEqual([]);
    expect(pending.has(ID)).toBe(true);
    const told = allOutbox().map((o) => o.text);
    expect(told).toHaveLength(2);
    for (const t of told) expect(t).toContain("only the operator's approvers");
    expect(allMessages().every((m) => m.triggered === 0 && m.status === 'context')).toBe(true);
    expect(queuedCalls).toHaveLength(0);
  });

  it('a redelivered answer is a duplicate before it acts: a newer request is never answered by it', () => {
    const pending = new Map([[ID, 'team']]);
    const { ib, calls } = answering(['111'], pending);
    const answer = inTeam('111', `approve ${ID}`, { messageId: '900' });
    ib.accept([answer, answer]); // twice in one batch
    pending.set(ID, 'team'); // as if a newer request had the same id
    ib.accept([answer]); // redelivered later
    expect(calls).toHaveLength(1);
    expect(pending.has(ID)).toBe(true);
    expect(ib.stats.duplicates).toBe(2);
  });

  it("an id of another group's request, or of none, is refused with a notice", () => {
    const pending = new Map([[ID, 'other']]);
    const { ib } = answering(['111'], pending);
    ib.accept([inTeam('111', `approve ${ID}`)]);
    expect(pending.has(ID)).toBe(true);
    expect(allOutbox().map((o) => o.text)).toEqual([
      `There is no pending request ${ID} in this chat: it was answered, it expired, or it is not this chat's.`,
    ]);
  });

  it('nothing acts when the batch cannot be stored: the channel retries it, and it acts then', () => {
    const pending = new Map([[ID, 'team']]);
    const { ib, calls } = answering(['111'], pending);
    const answer = inTeam('111', `approve ${ID}`);
    db.exec('CREATE TRIGGER fail_insert BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, "disk"); END');
    expect(() => ib.accept([answer])).toThrow();
    expect(calls).toEqual([]);
    db.exec('DROP TRIGGER fail_insert');
    ib.accept([answer]);
    expect(calls).toHaveLength(1);
  });

  it('recognizes every id the daemon issues (the pattern here matches sessions/request-ids.ts)', () => {
    const ids = new RequestIds();
    const issued = Array.from({ length: 50 }, () => ids.next());
    const { ib, calls } = answering(['111'], new Map());
    ib.accept(issued.map((id) => inTeam('111', `deny ${id}`)));
    expect(calls.map((c) => c.id)).toEqual(issued);
  });

  it('text that only looks like an answer (an old-style id) is an ordinary message', () => {
    const { ib, calls } = answering(['111'], new Map());
    const addressed = { mentionsBot: true };
    ib.accept([inTeam('111', 'approve p1', addressed), inTeam('111', `approve ${ID} please`, addressed)]);
    expect(calls).toEqual([]);
    expect(allMessages().map((m) => m.triggered)).toEqual([1, 1]);
  });
});
