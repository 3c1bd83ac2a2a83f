/**
 * Pairing codes for unknown direct-chat users: 8 characters from an alphabet without look-alikes
 * (no 0/O, 1/I/L), valid for an hour. One live code per user (asking again gets the same code, no
 * new row), and at most MAX_PENDING_CODES pending in all. The cap used to be 3 in all, so three
 * strangers (or one with three accounts) locked every other newcomer out for an hour (audit
 * finding 14); the global cap is now only a bound on rows for someone with many accounts.
 */
import { randomInt } from 'node:crypto';
import { sql, type Db } from './db.js';

export const PAIRING_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const PAIRING_TTL_MS = 3_600_000;
export const MAX_PENDING_CODES = 100;

export type PairingRow = {
  readonly code: string;
  readonly channel: string;
  readonly user_id: string;
  readonly chat_id: string;
  readonly user_name: string | null;
  readonly created_at: number;
  readonly expires_at: number;
  readonly approved_at: number | null;
};

export function newPairingCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return code;
}

export class PairingRepo {
  constructor(private readonly db: Db) {}

  pending(now: number): PairingRow[] {
    return sql(
      this.db,
      'SELECT * FROM pairing_codes WHERE approved_at IS NULL AND expires_at > ? ORDER BY created_at',
    ).all(now) as PairingRow[];
  }

  /** The user's live code, a new one, or undefined when MAX_PENDING_CODES are already pending. */
  issue(
    user: { channel: string; userId: string; chatId: string; userName: string | null },
    now: number,
  ): { row: PairingRow; fresh: boolean } | undefined {
    return this.db.transaction(() => {
      const existing = sql(
        this.db,
        'SELECT * FROM pairing_codes WHERE channel = ? AND user_id = ? AND approved_at IS NULL AND expires_at > ?',
      ).get(user.channel, user.userId, now) as PairingRow | undefined;
      if (existing !== undefined) return { row: existing, fresh: false };
      // Expired codes can never be approved: drop them, so rows stay bounded by the cap.
      sql(this.db, 'DELETE FROM pairing_codes WHERE approved_at IS NULL AND expires_at <= ?').run(now);
      const live = sql(
        this.db,
        'SELECT COUNT(*) AS n FROM pairing_codes WHERE approved_at IS NULL AND expires_at > ?',
      ).get(now) as { n: number };
      if (live.n >= MAX_PENDING_CODES) return undefined;
      const code = newPairingCode();
      sql(
        this.db,
        'INSERT INTO pairing_codes (code, channel, user_id, chat_id, user_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(code, user.channel, user.userId, user.chatId, user.userName, now, now + PAIRING_TTL_MS);
      return {
        row: sql(this.db, 'SELECT * FROM pairing_codes WHERE code = ?').get(code) as PairingRow,
        fresh: true,
      };
    })();
  }

  /** Marks a live code approved and returns it; undefined when unknown or expired. */
  approve(code: string, now: number): PairingRow | undefined {
    const row = sql(
      this.db,
      'SELECT * FROM pairing_codes WHERE code = ? AND approved_at IS NULL AND expires_at > ?',
    ).get(code.toUpperCase(), now) as PairingRow | undefined;
    if (row === undefined) return undefined;
    sql(this.db, 'UPDATE pairing_codes SET approved_at = ? WHERE code = ?').run(now, row.code);
    return row;
  }
}
