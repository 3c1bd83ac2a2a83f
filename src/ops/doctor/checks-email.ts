/**
 * The e-mail channel as the running daemon sees it: login, the watched mailbox, TLS, SMTP. Each
 * finding names the config key to change. The daemon's channel reports its last IMAP and SMTP
 * error; these checks read them, they do not log in a second time.
 */
import type { ChannelStatus, Finding } from '../../contract.js';
import type { Check, DoctorContext } from './types.js';

function live(ctx: DoctorContext): ChannelStatus | undefined {
  return ctx.channels?.().find((c) => c.name === 'email');
}

function detail(ch: ChannelStatus, key: string): string | null {
  const v = ch.details?.[key];
  return typeof v === 'string' ? v : null;
}

/** Login, mailbox and TLS, from the IMAP side of the channel. */
export const emailImap: Check = {
  id: 'email.imap',
  run(ctx): Finding {
    const id = 'email.imap';
    const { config } = ctx;
    if (config instanceof Error || !config.channels.email.enabled)
      return { id, severity: 'ok', message: 'e-mail is disabled' };
    const ch = live(ctx);
    if (ch === undefined)
      return {
        id,
        severity: 'info',
        message:
          'e-mail is enabled; the running daemon checks login, mailbox and TLS (start it, then run doctor again)',
      };
    const err = detail(ch, 'imap_error');
    const mailbox = config.channels.email.trigger_label;
    if (err !== null && /login failed|AUTHENTICATIONFAILED|authenticat/i.test(err))
      return {
        id,
        severity: 'error',
        message: `IMAP login failed: ${err}`,
        fix: 'check channels.email.imap.user and the password reference (Gmail: an app password, not the account password), or the OAuth2 refresh token',
      };
    if (err !== null && /certificate|self.signed|TLS|SSL|CERT_/i.test(err))
      return {
        id,
        severity: 'error',
        message: `IMAP TLS failed: ${err}`,
        fix: 'for a self-hosted server set channels.email.imap.ca_file to its CA; check tls ("auto": TLS on 993, STARTTLS on 143)',
      };
    if (err !== null && /mailbox|NONEXISTENT|doesn't exist|not exist/i.test(err))
      return {
        id,
        severity: 'error',
        message: `the watched mailbox "${mailbox}" is not there: ${err}`,
        fix: `create the folder (Gmail: the label) "${mailbox}", or set channels.email.trigger_label to an existing one`,
      };
    if (!ch.connected)
      return {
        id,
        severity: 'warn',
        message: `IMAP not connected${err ? `: ${err}` : ''}`,
        fix: 'see agentforge logs --level warn',
      };
    if (err !== null)
      return { id, severity: 'warn', message: `IMAP: ${err}`, fix: 'see agentforge logs --level warn' };
    return {
      id,
      severity: 'ok',
      message: `IMAP connected to "${mailbox}"${ch.details?.['idle'] === true ? ', IDLE' : ''}, last sync ${ch.last_poll_at ?? 'pending'}`,
    };
  },
};

export const emailSmtp: Check = {
  id: 'email.smtp',
  run(ctx): Finding {
    const id = 'email.smtp';
    const { config } = ctx;
    if (config instanceof Error || !config.channels.email.enabled)
      return { id, severity: 'ok', message: 'e-mail is disabled' };
    const ch = live(ctx);
    if (ch === undefined) return { id, severity: 'info', message: 'the running daemon reports SMTP errors' };
    const err = detail(ch, 'smtp_error');
    if (err === null) return { id, severity: 'ok', message: 'no SMTP error since the last successful send' };
    return {
      id,
      severity: /SMTP 5\d\d|EAUTH/.test(err) ? 'error' : 'warn',
      message: `last SMTP error: ${err}`,
      fix: /EAUTH|535/.test(err)
        ? 'check channels.email.smtp.user and the password reference (Gmail: an app password)'
        : 'a 5xx was told to the agent and counted in status (failed deliveries); 4xx and connection errors are retried',
    };
  },
};
