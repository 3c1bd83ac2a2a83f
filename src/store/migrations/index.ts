/** The global database's migrations, in order. Append only: never edit a released migration. */
import type { Migration } from '../migrate.js';
import { migration001 } from './001-daemon-runs.js';
import { migration002 } from './002-sessions.js';
import { migration003 } from './003-chat.js';
import { migration004 } from './004-tasks.js';
import { migration005 } from './005-outbox-in-flight.js';
import { migration006 } from './006-email.js';
import { migration007 } from './007-usage.js';
import { migration008 } from './008-telegram.js';

export const GLOBAL_MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
];
