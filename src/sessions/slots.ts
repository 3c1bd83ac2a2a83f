/**
 * At most max_concurrent_agents live agent processes. Waiters are served first come, first served;
 * when someone waits and an idle live agent exists, that agent is released (its session stays
 * resumable) so a busy session never starves behind one that is merely warm.
 */
export type Release = () => void;

export class AgentSlots {
  #live = 0;
  readonly #waiters: Array<(release: Release) => void> = [];

  constructor(
    readonly max: number,
    /** Asks the owner to release one idle live agent; returns false when none is idle. */
    private readonly evictIdle: () => boolean,
  ) {}

  get live(): number {
    return this.#live;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  acquire(): Promise<Release> {
    if (this.#live < this.max) return Promise.resolve(this.#grant());
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.evictIdle();
    });
  }

  #grant(): Release {
    this.#live++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#live--;
      const next = this.#waiters.shift();
      if (next !== undefined) next(this.#grant());
    };
  }
}
