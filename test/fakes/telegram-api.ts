/**
 * A fake Telegram Bot API server for tests and benchmarks: real HTTP on loopback, speaking the Bot
 * API wire format (POST /bot<token>/<method>, JSON in, {ok, result | error_code, description,
 * parameters} out). getUpdates has real long-poll timeout and offset semantics: updates below the
 * offset are confirmed and dropped, an empty queue holds the request until an update arrives or the
 * timeout passes. Every call is recorded, and faults can be injected per method: HTTP errors
 * (5xx, 429 with retry_after, 409, 400 entity errors), a stalled request, a slow answer, or a
 * dropped connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'error'; status: number; description: string; retryAfter?: number }
  | { kind: 'stall' }
  | { kind: 'delay'; ms: number }
  | { kind: 'drop' };

export type Call = { method: string; params: Record<string, unknown>; at: number };
export type SentMessage = {
  message_id: number;
  chat_id: string;
  text: string;
  parse_mode?: string;
  at: number;
  /** Inline keyboard as sent: rows of {text, callback_data}. */
  reply_markup?: { inline_keyboard: Array<Array<{ text: string; callback_data?: string }>> };
  reply_to?: number;
  /** Which bot sent it (its token), when several are in play. */
  token?: string;
};
export type EditedMessage = {
  message_id: number;
  chat_id: string;
  text: string;
  reply_markup?: SentMessage['reply_markup'];
  at: number;
};

export type UserSpec = { id: number; first_name?: string; username?: string };
export type MessageSpec = {
  chatId: number;
  chatType?: 'private' | 'group' | 'supergroup';
  chatTitle?: string;
  from: UserSpec;
  text?: string;
  caption?: string;
  media?: 'photo' | 'voice' | { document: string };
  replyToBot?: boolean;
  messageId?: number;
  /** Photo sizes (file ids from addFile, or any id with a size for one that is never fetched). */
  photo?: Array<{ fileId: string; width: number; height: number; size?: number }>;
  document?: { fileId: string; name: string; size?: number; mime?: string };
};

type Waiter = { res: ServerResponse; offset: number; limit: number; timer: NodeJS.Timeout };

export const FAKE_TOKEN = '123456:TEST-fake-token';
export const FAKE_BOT = { id: 424242, is_bot: true, first_name: 'Forge', username: 'forge_test_bot' };

export class FakeTelegram {
  readonly calls: Call[] = [];
  readonly sent: SentMessage[] = [];
  readonly edits: EditedMessage[] = [];
  /** sendMessageDraft calls: drafts shown in private chats. */
  readonly drafts: Array<{ chat_id: string; draft_id: number; text: string; at: number }> = [];
  /** answerCallbackQuery calls: what each presser was told. */
  readonly pressAnswers: Array<{ id: string; text: string; show_alert: boolean }> = [];
  /** When true, every sendMessage with a parse_mode is rejected like a bad entity. */
  rejectEntities = false;
  #server: Server;
  #updates: Array<{ update_id: number } & Record<string, unknown>> = [];
  #nextUpdateId = 1000;
  #nextMessageId = 1;
  #waiters: Waiter[] = [];
  readonly #faults = new Map<string, Fault[]>();
  readonly #stalled = new Set<ServerResponse>();
  #port = 0;
  readonly #sentWaiters = new Set<() => void>();
  readonly #files = new Map<string, Buffer>();
  #nextFile = 1;
  /** File downloads served (GET /file/bot<token>/<path>), by file path. */
  readonly downloads: string[] = [];

  /** A file the bot can fetch with getFile; returns its file_id. */
  addFile(bytes: Buffer): string {
    const id = `file-${this.#nextFile++}`;
    this.#files.set(id, bytes);
    return id;
  }

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const w of this.#waiters) clearTimeout(w.timer);
    this.#waiters = [];
    for (const res of this.#stalled) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Queues `fault` for the next `times` calls of `method`. */
  inject(method: string, fault: Fault, times = 1): void {
    const list = this.#faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.#faults.set(method, list);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  callsOf(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  sentTo(chatId: number | string): SentMessage[] {
    return this.sent.filter((m) => m.chat_id === String(chatId));
  }

  /** Resolves once `count` messages have been sent to the chat (event-driven, no polling). */
  waitForSent(chatId: number | string, count: number, timeoutMs = 15_000): Promise<SentMessage[]> {
    const chat = String(chatId);
    let n = this.sent.filter((m) => m.chat_id === chat).length;
    if (n >= count) return Promise.resolve(this.sentTo(chat));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#sentWaiters.delete(wake);
        reject(new Error(`chat ${chat}: ${n}/${count} messages after ${timeoutMs} ms`));
      }, timeoutMs);
      const wake = (): void => {
        const last = this.sent[this.sent.length - 1];
        if (last?.chat_id !== chat) return;
        n++;
        if (n < count) return;
        clearTimeout(timer);
        this.#sentWaiters.delete(wake);
        resolve(this.sentTo(chat));
      };
      this.#sentWaiters.add(wake);
    });
  }

  /** Adds an incoming message update; returns its message_id. */
  pushMessage(spec: MessageSpec): number {
    const messageId = spec.messageId ?? this.#nextMessageId++;
    const chatType = spec.chatType ?? (spec.chatId > 0 ? 'private' : 'group');
    const chat =
      chatType === 'private'
        ? { id: spec.chatId, type: 'private', first_name: spec.from.first_name ?? 'User' }
        : { id: spec.chatId, type: chatType, title: spec.chatTitle ?? 'Group' };
    const message: Record<string, unknown> = {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat,
      from: { is_bot: false, first_name: 'User', ...spec.from },
    };
    if (spec.text !== undefined) message['text'] = spec.text;
    if (spec.caption !== undefined) message['caption'] = spec.caption;
    if (spec.media === 'photo')
      message['photo'] = [{ file_id: 'p1', file_unique_id: 'u1', width: 1, height: 1 }];
    if (spec.media === 'voice') message['voice'] = { file_id: 'v1', file_unique_id: 'u2', duration: 1 };
    if (typeof spec.media === 'object')
      message['document'] = { file_id: 'd1', file_unique_id: 'u3', file_name: spec.media.document };
    if (spec.photo !== undefined)
      message['photo'] = spec.photo.map((p) => ({
        file_id: p.fileId,
        file_unique_id: `u-${p.fileId}`,
        width: p.width,
        height: p.height,
        file_size: p.size ?? this.#files.get(p.fileId)?.length,
      }));
    if (spec.document !== undefined)
      message['document'] = {
        file_id: spec.document.fileId,
        file_unique_id: `u-${spec.document.fileId}`,
        file_name: spec.document.name,
        mime_type: spec.document.mime,
        file_size: spec.document.size ?? this.#files.get(spec.document.fileId)?.length,
      };
    if (spec.replyToBot)
      message['reply_to_message'] = { message_id: 1, date: 0, chat, from: FAKE_BOT, text: 'earlier' };
    this.#updates.push({ update_id: this.#nextUpdateId++, message });
    this.#flushWaiters();
    return messageId;
  }

  /** A press on an inline button under message `messageId`; returns the callback query id. */
  pushPress(spec: { chatId: number; from: UserSpec; messageId: number; data: string }): string {
    const id = `cq${this.#nextUpdateId}`;
    const chatType = spec.chatId > 0 ? 'private' : 'group';
    const chat =
      chatType === 'private'
        ? { id: spec.chatId, type: chatType }
        : { id: spec.chatId, type: chatType, title: 'Group' };
    this.#updates.push({
      update_id: this.#nextUpdateId++,
      callback_query: {
        id,
        from: { is_bot: false, first_name: 'User', ...spec.from },
        chat_instance: `ci${spec.chatId}`,
        data: spec.data,
        message: { message_id: spec.messageId, date: 0, chat, from: FAKE_BOT, text: 'question' },
      },
    });
    this.#flushWaiters();
    return id;
  }

  /** The text a message shows now: its last edit, else what was sent. */
  textOf(chatId: number | string, messageId: number): string | undefined {
    const chat = String(chatId);
    const edit = this.edits.findLast((e) => e.chat_id === chat && e.message_id === messageId);
    return edit?.text ?? this.sent.find((m) => m.chat_id === chat && m.message_id === messageId)?.text;
  }

  /** Adds an update exactly as given (plus its update_id), well-formed or not; returns the id. */
  pushRaw(fields: Record<string, unknown>): number {
    const id = this.#nextUpdateId++;
    this.#updates.push({ update_id: id, ...fields });
    this.#flushWaiters();
    return id;
  }

  /** Updates not yet confirmed by an offset. */
  get pendingUpdates(): number {
    return this.#updates.length;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const f = /^\/file\/bot([^/]+)\/(.+)$/.exec(req.url ?? '');
    if (f !== null) return this.#serveFile(f[1]!, f[2]!, res);
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    const body = await readBody(req);
    if (m === null) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method = ''] = m;
    let params: Record<string, unknown>;
    try {
      params = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
    } catch {
      return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
    }
    this.calls.push({ method, params, at: Date.now() });
    if (token !== FAKE_TOKEN)
      return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const fault = this.#faults.get(method)?.shift();
    if (fault !== undefined) {
      if (fault.kind === 'stall') {
        this.#stalled.add(res);
        res.on('close', () => this.#stalled.delete(res));
        return;
      }
      if (fault.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'error') {
        const parameters = fault.retryAfter !== undefined ? { retry_after: fault.retryAfter } : undefined;
        return reply(res, fault.status, {
          ok: false,
          error_code: fault.status,
          description: fault.description,
          parameters,
        });
      }
      await new Promise((r) => setTimeout(r, fault.ms));
    }
    this.#dispatch(method, params, res);
  }

  #serveFile(token: string, path: string, res: ServerResponse): void {
    const bytes = this.#files.get(decodeURIComponent(path).replace(/^files\//, ''));
    if (token !== FAKE_TOKEN || bytes === undefined) {
      res.writeHead(404).end();
      return;
    }
    this.downloads.push(path);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    res.end(bytes);
  }

  #dispatch(method: string, params: Record<string, unknown>, res: ServerResponse): void {
    switch (method) {
      case 'getFile': {
        const id = String(params['file_id']);
        const bytes = this.#files.get(id);
        if (bytes === undefined)
          return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
        // The Bot API gives no file_path for files over 20 MB: they cannot be downloaded.
        if (bytes.length > 20 * 1024 * 1024)
          return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: file is too big' });
        return ok(res, {
          file_id: id,
          file_unique_id: `u-${id}`,
          file_size: bytes.length,
          file_path: `files/${id}`,
        });
      }
      case 'getMe':
        return ok(res, FAKE_BOT);
      case 'deleteWebhook':
      case 'setMyCommands':
        return ok(res, true);
      case 'getWebhookInfo':
        return ok(res, {
          url: '',
          has_custom_certificate: false,
          pending_update_count: this.#updates.length,
        });
      case 'sendChatAction':
        return ok(res, true);
      case 'getUpdates':
        return this.#getUpdates(params, res);
      case 'sendMessage': {
        const text = typeof params['text'] === 'string' ? params['text'] : '';
        if (text.length === 0)
          return reply(res, 400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: message text is empty',
          });
        // Telegram's 4096 limit counts the text after entity parsing, not the markup.
        if (visibleLength(text, params['parse_mode']) > 4096)
          return reply(res, 400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: message is too long',
          });
        if (this.rejectEntities && params['parse_mode'] !== undefined) {
          return reply(res, 400, {
            ok: false,
            error_code: 400,
            description: "Bad Request: can't parse entities: unsupported start tag",
          });
        }
        const msg: SentMessage = {
          message_id: this.#nextMessageId++,
          chat_id: String(params['chat_id']),
          text,
          at: Date.now(),
        };
        if (typeof params['parse_mode'] === 'string') msg.parse_mode = params['parse_mode'];
        if (params['reply_markup'] !== undefined)
          msg.reply_markup = params['reply_markup'] as SentMessage['reply_markup'];
        const rp = params['reply_parameters'] as { message_id?: number } | undefined;
        if (typeof rp?.message_id === 'number') msg.reply_to = rp.message_id;
        this.sent.push(msg);
        for (const wake of this.#sentWaiters) wake();
        return ok(res, {
          message_id: msg.message_id,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(msg.chat_id), type: 'private' },
          from: FAKE_BOT,
          text,
        });
      }
      case 'editMessageText': {
        const chat = String(params['chat_id']);
        const id = Number(params['message_id']);
        const text = typeof params['text'] === 'string' ? params['text'] : '';
        if (!this.sent.some((m) => m.chat_id === chat && m.message_id === id))
          return reply(res, 400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: message to edit not found',
          });
        if (text.length === 0 || visibleLength(text, params['parse_mode']) > 4096)
          return reply(res, 400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: text is empty or too long',
          });
        const markup = params['reply_markup'] as SentMessage['reply_markup'];
        const before =
          this.edits.findLast((e) => e.chat_id === chat && e.message_id === id) ??
          this.sent.find((m) => m.chat_id === chat && m.message_id === id)!;
        if (before.text === text && JSON.stringify(before.reply_markup) === JSON.stringify(markup))
          return reply(res, 400, {
            ok: false,
            error_code: 400,
            description:
              'Bad Request: message is not modified: specified new message content and reply markup are exactly the same',
          });
        this.edits.push({ message_id: id, chat_id: chat, text, reply_markup: markup, at: Date.now() });
        return ok(res, { message_id: id, date: 0, chat: { id: Number(chat), type: 'private' }, text });
      }
      case 'sendMessageDraft': {
        const chat = Number(params['chat_id']);
        if (!(chat > 0))
          return reply(res, 400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: drafts can be sent only to private chats',
          });
        if (typeof params['draft_id'] !== 'number' || params['draft_id'] === 0)
          return reply(res, 400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: invalid draft_id',
          });
        this.drafts.push({
          chat_id: String(chat),
          draft_id: params['draft_id'],
          text: typeof params['text'] === 'string' ? params['text'] : '',
          at: Date.now(),
        });
        return ok(res, true);
      }
      case 'answerCallbackQuery':
        this.pressAnswers.push({
          id: String(params['callback_query_id']),
          text: typeof params['text'] === 'string' ? params['text'] : '',
          show_alert: params['show_alert'] === true,
        });
        return ok(res, true);
      default:
        return reply(res, 404, {
          ok: false,
          error_code: 404,
          description: `Not Found: method ${method} not implemented by the fake`,
        });
    }
  }

  #getUpdates(params: Record<string, unknown>, res: ServerResponse): void {
    const offset = typeof params['offset'] === 'number' ? params['offset'] : 0;
    const limit = typeof params['limit'] === 'number' ? params['limit'] : 100;
    const timeout = typeof params['timeout'] === 'number' ? params['timeout'] : 0;
    if (offset > 0) this.#updates = this.#updates.filter((u) => u.update_id >= offset);
    const ready = this.#updates.slice(0, limit);
    if (ready.length > 0 || timeout <= 0) return ok(res, ready);
    const waiter: Waiter = {
      res,
      offset,
      limit,
      timer: setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        ok(res, []);
      }, timeout * 1000),
    };
    res.on('close', () => {
      clearTimeout(waiter.timer);
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
    });
    this.#waiters.push(waiter);
  }

  #flushWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      if (!w.res.writableEnded) ok(w.res, this.#updates.slice(0, w.limit));
    }
  }
}

/** Length of the text a user sees: HTML tags removed and entities counted as one character. */
function visibleLength(text: string, parseMode: unknown): number {
  if (parseMode !== 'HTML') return text.length;
  return text.replace(/<[^>]*>/g, '').replace(/&(?:lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/gi, '_').length;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function ok(res: ServerResponse, result: unknown): void {
  reply(res, 200, { ok: true, result });
}
