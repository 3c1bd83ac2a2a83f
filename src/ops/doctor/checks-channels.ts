/** Channels as the running daemon sees them (a 409 conflict, a rejected token, no connection). */
import type { Config } from '../../config/load.js';
import type { Finding } from '../../contract.js';
import type { Check } from './types.js';

export const telegramPolling: Check = {
  id: 'telegram.polling',
  run({ config, channels }): Finding {
    const id = 'telegram.polling';
    if (config instanceof Error || !config.channels.telegram.enabled)
      return { id, severity: 'ok', message: 'Telegram is disabled' };
    const tg = channels?.().find((c) => c.name === 'telegram');
    if (tg === undefined)
      return {
        id,
        severity: 'info',
        message:
          'Telegram is enabled; the running daemon checks its poller (start it, then run doctor again)',
      };
    if (tg.notReady === 'telegram_conflict') {
      return {
        id,
        severity: 'error',
        message: 'Telegram answers 409 Conflict: another process is polling this bot token',
        fix: 'stop the other instance (another agentforge, or a webhook set on the bot) or give this one its own bot token',
      };
    }
    if (tg.error !== null)
      return {
        id,
        severity: 'warn',
        message: `Telegram poller: ${tg.error}`,
        fix: 'check the token reference and network; see agentforge logs --level warn',
      };
    if (!tg.connected)
      return {
        id,
        severity: 'warn',
        message: 'Telegram is not connected yet',
        fix: 'see agentforge logs --level warn',
      };
    return {
      id,
      severity: 'ok',
      message: `Telegram connected, last poll ${tg.last_poll_at ?? 'in progress'}`,
    };
  },
};

/**
 * Usernames in allowed_users, which can change hands: a Telegram user can drop a username and
 * someone else can take it, and the newcomer then passes the allowlist. Numeric ids never change.
 * Undefined when there is nothing to warn about. Shared with `daemon check` and `config validate`.
 */
export function usernameAllowlistWarning(config: Config): string | undefined {
  const names = config.channels.telegram.allowed_users.filter((u) => typeof u === 'string');
  if (names.length === 0) return undefined;
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
  return `channels.telegram.allowed_users names ${names.length} user(s) by username (${shown}); a username can be given up and taken by someone else, who would then be allowed`;
}

export const USERNAME_ALLOWLIST_FIX =
  'list numeric Telegram user ids instead (agentforge group pair shows the id of a user who wrote to the bot)';

export const telegramAllowedUsers: Check = {
  id: 'telegram.allowed_users',
  run({ config }): Finding {
    const id = 'telegram.allowed_users';
    if (config instanceof Error)
      return { id, severity: 'ok', message: 'config did not load; see config.valid' };
    const warning = usernameAllowlistWarning(config);
    if (warning !== undefined) return { id, severity: 'warn', message: warning, fix: USERNAME_ALLOWLIST_FIX };
    return { id, severity: 'ok', message: 'allowed_users lists numeric ids only' };
  },
};
