import { describe, expect, it } from 'vitest';
import { AgentSlots, type Release } from './slots.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('AgentSlots', () => {
  it('grants up to max at once and queues the rest', async () => {
    const slots = new AgentSlots(2, () => false);
    const granted: number[] = [];
    const releases: Release[] = [];
    for (let i = 0; i < 5; i++)
      void slots.acquire().then((r) => {
        granted.push(i);
        releases.push(r);
      });
    await tick();
    expect(granted).toEqual([0, 1]);
    expect({ live: slots.live, waiting: slots.waiting }).toEqual({ live: 2, waiting: 3 });
  });

  it('serves waiters first come, first served and never exceeds max', async () => {
    const slots = new AgentSlots(2, () => false);
    const order: string[] = [];
    const held = new Map<string, Release>();
    let maxLive = 0;
    const want = (name: string): void =>
      void slots.acquire().then((r) => {
        order.push(name);
        held.set(name, r);
        maxLive = Math.max(maxLive, slots.live);
      });
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) want(name);
    await tick();
    expect(order).toEqual(['a', 'b']);

    held.get('b')!();
    await tick();
    expect(order).toEqual(['a', 'b', 'c']);
    want('g'); // a newcomer queues behind everyone already waiting
    held.get('a')!();
    held.get('c')!();
    await tick();
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const name of ['d', 'e']) held.get(name)!();
    await tick();
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(maxLive).toBe(2);
    expect({ live: slots.live, waiting: slots.waiting }).toEqual({ live: 2, waiting: 0 });
  });

  it('counts a release once even when it is called twice', async () => {
    const slots = new AgentSlots(1, () => false);
    const first = await slots.acquire();
    let second: Release | undefined;
    let third: Release | undefined;
    void slots.acquire().then((r) => (second = r));
    void slots.acquire().then((r) => (third = r));
    first();
    first(); // must not free a second slot
    await tick();
    expect(second).toBeDefined();
    expect(third).toBeUndefined();
    expect(slots.live).toBe(1);
    second!();
    await tick();
    expect(third).toBeDefined();
    third!();
    expect(slots.live).toBe(0);
  });

  it('asks the owner to evict an idle agent only when a caller has to wait', async () => {
    let evictions = 0;
    const slots = new AgentSlots(1, () => {
      evictions++;
      return true;
    });
    const first = await slots.acquire();
    expect(evictions).toBe(0);
    const waiting = slots.acquire();
    expect(evictions).toBe(1);
    expect(slots.waiting).toBe(1);
    first(); // what the evicted agent's exit does
    const second = await waiting;
    expect(slots.live).toBe(1);
    second();
    await slots.acquire();
    expect(evictions).toBe(1);
  });
});
