import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Notifier } from './sd-notify.js';
import { Watchdog, type LivenessProbe } from './watchdog.js';

const silent = pino({ level: 'silent' });

/** A notifier that keeps what it was asked to send (the real one runs systemd-notify). */
function recordingNotifier(): Notifier & { sent: string[][] } {
  const sent: string[][] = [];
  return {
    enabled: true,
    sent,
    send: (...a: string[]) => {
      sent.push(a);
      return Promise.resolve(true);
    },
  };
}

function watchdog<N extends Notifier>(probes: LivenessProbe[], notifier: N, intervalMs = 1000) {
  return {
    notifier,
    wd: new Watchdog({ notifier, intervalMs, probes, status: () => 'ready: 0 live agents', log: silent }),
  };
}

describe('Watchdog.failures', () => {
  it('is empty when every probe passes', () => {
    const { wd } = watchdog(
      [
        { name: 'store', check: () => undefined },
        { name: 'scheduler', check: () => undefined },
      ],
      recordingNotifier(),
    );
    wd.start();
    try {
      expect(wd.failures()).toEqual([]);
    } finally {
      wd.stop();
    }
  });

  it('names each failing probe with its reason', () => {
    const { wd } = watchdog(
      [
        { name: 'store', check: () => undefined },
        { name: 'telegram', check: () => 'receive loop made no progress for 9000 ms' },
        { name: 'scheduler', check: () => 'timer due 70000 ms ago has not fired' },
      ],
      recordingNotifier(),
    );
    wd.start();
    try {
      expect(wd.failures()).toEqual([
        'telegram: receive loop made no progress for 9000 ms',
        'scheduler: timer due 70000 ms ago has not fired',
      ]);
    } finally {
      wd.stop();
    }
  });

  it('counts a probe that throws as failing, with the error message', () => {
    const { wd } = watchdog(
      [
        {
          name: 'store',
          check: () => {
            throw new Error('database is locked');
          },
        },
        { name: 'scheduler', check: () => undefined },
      ],
      recordingNotifier(),
    );
    wd.start();
    try {
      expect(wd.failures()).toEqual(['store: database is locked']);
    } finally {
      wd.stop();
    }
  });

  it('passes `now` to the probes', () => {
    const seen: number[] = [];
    const { wd } = watchdog([{ name: 'p', check: (now) => void seen.push(now) }], recordingNotifier());
    wd.start();
    try {
      const t = Date.now() + 10;
      wd.failures(t);
      expect(seen).toEqual([t]);
    } finally {
      wd.stop();
    }
  });

  it('reports a blocked event loop when its own timer is a whole interval late', () => {
    const { wd } = watchdog([], recordingNotifier(), 1000);
    wd.start();
    try {
      expect(wd.failures(Date.now() + 1500)).toEqual([]); // late, but within one interval
      expect(wd.failures(Date.now() + 2500)[0]).toMatch(/^event_loop: timer fired \d+ ms late$/);
    } finally {
      wd.stop();
    }
  });
});

describe('Watchdog ticks', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings WATCHDOG=1 only while healthy, says why when not, and resumes after', async () => {
    let reason: string | undefined;
    const { wd, notifier } = watchdog([{ name: 'telegram', check: () => reason }], recordingNotifier());
    wd.start();
    try {
      await vi.advanceTimersByTimeAsync(1000);
      await vi.advanceTimersByTimeAsync(1000);
      expect(notifier.sent).toEqual([
        ['WATCHDOG=1', 'STATUS=ready: 0 live agents'],
        ['WATCHDOG=1', 'STATUS=ready: 0 live agents'],
      ]);
      expect(wd.pings).toBe(2);

      reason = 'receive loop made no progress for 4000 ms';
      notifier.sent.length = 0;
      await vi.advanceTimersByTimeAsync(3000);
      expect(notifier.sent).toHaveLength(3);
      for (const s of notifier.sent) {
        expect(s).not.toContain('WATCHDOG=1');
        expect(s).toEqual(['STATUS=unhealthy: telegram: receive loop made no progress for 4000 ms']);
      }
      expect(wd.pings).toBe(2);

      reason = undefined;
      notifier.sent.length = 0;
      await vi.advanceTimersByTimeAsync(1000);
      expect(notifier.sent).toEqual([['WATCHDOG=1', 'STATUS=ready: 0 live agents']]);
      expect(wd.pings).toBe(3);
    } finally {
      wd.stop();
    }
  });

  it('counts only pings the notifier could send, and stops ticking when stopped', async () => {
    let ok = false;
    const sent: string[][] = [];
    const notifier: Notifier = {
      enabled: true,
      send: (...a) => {
        sent.push(a);
        return Promise.resolve(ok);
      },
    };
    const { wd } = watchdog([], notifier);
    wd.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toHaveLength(2);
    expect(wd.pings).toBe(0);
    ok = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(wd.pings).toBe(1);
    wd.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(3);
  });
});
