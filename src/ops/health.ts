/**
 * Readiness: each component registers a probe that says whether it can do its job now and, if not,
 * a short stable reason (`store_unavailable`, `telegram_conflict` …). /readyz and status read it.
 */
import type { ReadinessReport } from '../contract.js';

export type ReadinessProbe = () => { readonly ok: boolean; readonly reason?: string };

export class Readiness {
  readonly #probes = new Map<string, ReadinessProbe>();

  register(name: string, probe: ReadinessProbe): void {
    this.#probes.set(name, probe);
  }

  report(): ReadinessReport {
    const reasons: string[] = [];
    for (const [name, probe] of this.#probes) {
      let result;
      try {
        result = probe();
      } catch {
        result = { ok: false, reason: `${name}_probe_failed` };
      }
      if (!result.ok) reasons.push(result.reason ?? `${name}_not_ready`);
    }
    return { ready: reasons.length === 0, reasons };
  }
}
