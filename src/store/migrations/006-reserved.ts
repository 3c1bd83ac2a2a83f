import type { Migration } from '../migrate.js';

/**
 * Version 6 belongs to the e-mail branch (006-email.ts); migrations are numbered without gaps, so
 * this branch holds the number with a no-op until that one lands and replaces this file.
 */
export const migration006: Migration = {
  version: 6,
  name: 'reserved',
  up() {},
};
