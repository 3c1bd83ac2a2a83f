import type { Migration } from '../migrate.js';

/**
 * The part of an outbox row being handed to the chat service. Delivery is at-least-once: a crash
 * between the service accepting a part and our commit resends that part. Marking it first lets
 * the next boot say so (a warning naming the row) instead of resending silently.
 */
export const migration005: Migration = {
  version: 5,
  name: 'outbox-in-flight',
  up(db) {
    db.exec('ALTER TABLE outbox ADD COLUMN in_flight_part INTEGER');
  },
};
