/** The watchdog's liveness probes over the running parts (see ops/watchdog.ts). */
import type { Config } from '../config/load.js';
import type { LivenessProbe } from '../ops/watchdog.js';
import type { Channel } from '../router/ports.js';
import type { Scheduler } from '../scheduler/scheduler.js';

/** A scheduler timer this late has not fired: the loop that should run it is stuck. */
export const SCHEDULER_OVERDUE_MS = 60_000;
const CHANNEL_GRACE_MS = 1_000;

export function livenessProbes(deps: {
  config: Config;
  storeWrite: () => void;
  channels: ReadonlyMap<string, Channel>;
  scheduler: Scheduler;
  startedAt: number;
}): LivenessProbe[] {
  const tg = deps.config.channels.telegram;
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
    const limit = ch.livenessMs ?? tg.poll_timeout + tg.stall_threshold + CHANNEL_GRACE_MS;
    probes.push({
      name: ch.name,
      check: (now) => {
        const last = ch.status().lastProgressAt ?? deps.startedAt;
        return now - last > limit ? `receive loop made no progress for ${now - last} ms` : undefined;
      },
    });
  }
  return probes;
}
