/**
 * The systemd watchdog. Every WATCHDOG_USEC/2 it asks each liveness probe — event loop not lagging,
 * the store accepts a write, every enabled channel's receive loop progressed recently, the scheduler
 * is not overdue — and sends WATCHDOG=1 only if all pass. A hung poller therefore stops the pings
 * and systemd restarts the service, instead of the daemon reporting healthy while deaf.
 */
import type { Logger } from 'pino';
import type { Notifier } from './sd-notify.js';

export type LivenessProbe = { readonly name: string; readonly check: (now: number) => string | undefined };

export type WatchdogDeps = {
  readonly notifier: Notifier;
  readonly intervalMs: number;
  readonly probes: readonly LivenessProbe[];
  readonly status: () => string;
  readonly log: Logger;
};

export class Watchdog {
  #timer: NodeJS.Timeout | undefined;
  #expected = 0;
  #lastFailing: string | undefined;
  pings = 0;

  constructor(private readonly deps: WatchdogDeps) {}

  start(): void {
    this.#expected = Date.now() + this.deps.intervalMs;
    this.#timer = setInterval(() => void this.#tick(), this.deps.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Failing probe names and reasons, empty when healthy. */
  failures(now = Date.now()): string[] {
    const lag = now - this.#expected;
    const out: string[] = [];
    // The interval itself is our lag probe: firing a whole interval late means a blocked loop.
    if (lag > this.deps.intervalMs) out.push(`event_loop: timer fired ${lag} ms late`);
    for (const p of this.deps.probes) {
      let why: string | undefined;
      try {
        why = p.check(now);
      } catch (err) {
        why = (err as Error).message;
      }
      if (why !== undefined) out.push(`${p.name}: ${why}`);
    }
    return out;
  }

  async #tick(): Promise<void> {
    const now = Date.now();
    const failing = this.failures(now);
    this.#expected = now + this.deps.intervalMs;
    const summary = failing.join('; ');
    if (failing.length > 0) {
      if (summary !== this.#lastFailing) this.deps.log.error({ failing }, 'watchdog: withholding WATCHDOG=1');
      this.#lastFailing = summary;
      await this.deps.notifier.send(`STATUS=unhealthy: ${summary}`);
      return;
    }
    if (this.#lastFailing !== undefined) this.deps.log.info('watchdog: healthy again');
    this.#lastFailing = undefined;
    if (await this.deps.notifier.send('WATCHDOG=1', `STATUS=${this.deps.status()}`)) this.pings++;
  }
}
