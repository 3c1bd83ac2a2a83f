/** Channels as the running daemon sees them (a 409 conflict, a rejected token, no connection). */
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
    if (tg.conflict) {
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
