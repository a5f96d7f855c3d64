import { describe, expect, it } from 'vitest';
import { QueueFullError, RequestQueue } from './request-queue.js';

/** A task that runs until released, counting how many run at once. */
function gate() {
  let running = 0;
  let peak = 0;
  const waiting: Array<() => void> = [];
  return {
    task: () =>
      new Promise<string>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        waiting.push(() => {
          running--;
          resolve('done');
        });
      }),
    releaseAll: () => waiting.splice(0).forEach((release) => release()),
    get running() {
      return running;
    },
    get peak() {
      return peak;
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('RequestQueue', () => {
  it('runs at most `concurrency` requests per source, the others in order of arrival; sources do not wait for each other', async () => {
    const queue = new RequestQueue({ concurrency: 2, maxPending: 100 });
    const a = gate();
    const b = gate();
    const order: number[] = [];
    const done = Array.from({ length: 6 }, (_, i) => queue.run('a', async () => (await a.task(), order.push(i))));
    const other = queue.run('b', b.task);
    await tick();
    expect(a.running).toBe(2);
    expect(b.running).toBe(1);
    expect(queue.stats()).toEqual({ waiting: 4, inFlight: 3 });
    while (order.length < 6) {
      a.releaseAll();
      await tick();
    }
    b.releaseAll();
    await Promise.all([...done, other]);
    expect(a.peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(queue.stats()).toEqual({ waiting: 0, inFlight: 0 });
  });

  it('refuses a request when too many wait, over all sources', async () => {
    const queue = new RequestQueue({ concurrency: 1, maxPending: 2 });
    const g = gate();
    const accepted = [queue.run('a', g.task), queue.run('a', g.task), queue.run('b', g.task), queue.run('b', g.task)];
    await tick();
    await expect(queue.run('c', g.task)).rejects.toThrow(QueueFullError);
    await expect(queue.run('c', g.task)).rejects.toThrow('the engine has 2 source requests waiting');
    while (g.running) {
      g.releaseAll();
      await tick();
    }
    await Promise.all(accepted);
  });

  it('drops a waiting request whose signal aborts, and hands the signal to a running one', async () => {
    const queue = new RequestQueue({ concurrency: 1, maxPending: 10 });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const running = queue.run('a', (signal) => {
      seen = signal;
      return new Promise((_, reject) => signal!.addEventListener('abort', () => reject(signal!.reason)));
    }, { signal: controller.signal });
    let waitingRan = false;
    const waiting = queue.run('a', async () => (waitingRan = true), { signal: controller.signal });
    await tick();
    expect(queue.stats()).toEqual({ waiting: 1, inFlight: 1 });
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    await expect(running).rejects.toThrow('cancelled');
    expect(seen).toBe(controller.signal);
    expect(waitingRan).toBe(false);
    expect(queue.stats()).toEqual({ waiting: 0, inFlight: 0 });
    await expect(queue.run('a', async () => 1, { signal: controller.signal })).rejects.toThrow('cancelled');
  });

  it("refuses a request that would be answered after its deadline, at the pace the source has been answering", async () => {
    const queue = new RequestQueue({ concurrency: 1, maxPending: 100 });
    await queue.run('a', () => new Promise((resolve) => setTimeout(resolve, 50)));
    const g = gate();
    const ahead = [queue.run('a', g.task), queue.run('a', g.task), queue.run('a', g.task)];
    await tick();
    // One running, two waiting, ~50 ms each: this one would be answered in ~150 ms.
    await expect(queue.run('a', g.task, { deadline: Date.now() + 100 })).rejects.toThrow(
      /^2 requests to this source wait before this one and it answers in about \d+ ms: it would not be answered before the call's time is up$/,
    );
    const admitted = queue.run('a', g.task, { deadline: Date.now() + 10_000 });
    // A source not heard from yet has no pace to judge by.
    const fresh = queue.run('b', g.task, { deadline: Date.now() + 1 });
    let settled = false;
    const all = Promise.all([...ahead, admitted, fresh]).finally(() => (settled = true));
    while (!settled) {
      g.releaseAll();
      await tick();
    }
    await all;
  });
});
