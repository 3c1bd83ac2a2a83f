/** The watchdog's liveness probes over the running parts (see ops/watchdog.ts). */
import type { LivenessProbe } from '../ops/watchdog.js';
import type { Channel } from '../router/ports.js';
import type { Scheduler } from '../scheduler/scheduler.js';

/** A scheduler timer this late has not fired: the loop that should run it is stuck. */
export const SCHEDULER_OVERDUE_MS = 60_000;

export function livenessProbes(deps: {
  storeWrite: () => void;
  channels: ReadonlyMap<string, Channel>;
  scheduler: Scheduler;
  startedAt: number;
}): LivenessProbe[] {
  const probes: LivenessProbe[] = [
    {
      name: 'store',
      check: () => {
        deps.storeWrite();
        return undefined;
      },
    },
    {
      name: 'scheduler',
      check: (now) => {
        const armed = deps.scheduler.armedFor;
        return armed !== undefined && now - armed > SCHEDULER_OVERDUE_MS
          ? `timer due ${now - armed} ms ago has not fired`
          : undefined;
      },
    },
  ];
  for (const ch of deps.channels.values()) {
    probes.push({
      name: ch.name,
      check: (now) => {
        const { lastProgressAt, stallLimitMs } = ch.health();
        const last = lastProgressAt ?? deps.startedAt;
        return now - last > stallLimitMs ? `receive loop made no progress for ${now - last} ms` : undefined;
      },
    });
  }
  return probes;
}
