/** The e-mail channel's one entry point for the composition root. */
import { EmailChannel } from './channel.js';
import type { EmailOptions } from './types.js';

export type { EmailOptions, EmailStore, EmailMetrics, Endpoint, Credentials } from './types.js';
export { oauthTokens } from './oauth.js';
export { EmailChannel } from './channel.js';

export function createEmailChannel(opts: EmailOptions): EmailChannel {
  return new EmailChannel(opts);
}
