// The engine-wide queue of source requests. However many verifications are looked at at once, each source (a
// Prometheus address) gets at most `concurrency` requests in flight from this engine; the rest wait in order of
// arrival. A request is refused at once (the look is tried again later) when `maxPending` wait in all, or when,
// at the pace the source has been answering, its turn would come after its call's deadline: queued work that can
// only be abandoned would delay every look behind it. A request whose call is cancelled leaves the queue, or is
// aborted if it has started.
import PQueue from 'p-queue';

export interface QueueLimits {
  /** Requests in flight at once per source. */
  concurrency: number;
  /** Requests waiting, over all sources. */
  maxPending: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = { concurrency: 16, maxPending: 1000 };

/** The queue was full: the engine is busy, and the request was not made. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

// Weight of the latest request in the moving average of the time a source takes.
const SERVICE_WEIGHT = 0.2;
// Sources whose pace is remembered; beyond it the oldest is forgotten.
const PACES_KEPT = 1000;

export class RequestQueue {
  /** The queue of each source with requests waiting or in flight; an idle source's is dropped. */
  private readonly sources = new Map<string, PQueue>();
  /** How long a request to each source has been taking lately (moving average), once one has finished. */
  private readonly paces = new Map<string, number>();
  private waiting = 0;

  constructor(readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS) {}

  /**
   * Runs `task` once `source` has a free slot; rejects with QueueFullError when too many requests wait or its turn
   * would come after `deadline` (epoch ms), and with the signal's reason when it is aborted before the task starts
   * (the task gets the signal for afterwards).
   */
  async run<T>(source: string, task: (signal?: AbortSignal) => Promise<T>, options: { signal?: AbortSignal; deadline?: number } = {}): Promise<T> {
    const { signal, deadline } = options;
    signal?.throwIfAborted();
    if (this.waiting >= this.limits.maxPending) {
      throw new QueueFullError(`the engine has ${this.waiting} source requests waiting (the most it queues)`);
    }
    const queue = this.sources.get(source) ?? this.open(source);
    const pace = this.paces.get(source);
    if (deadline !== undefined && pace !== undefined) {
      // When this request would be answered: the rounds of `concurrency` requests before it, and its own.
      const doneMs = Math.ceil((queue.size + 1) / this.limits.concurrency) * pace;
      if (Date.now() + doneMs > deadline) {
        throw new QueueFullError(
          `${queue.size} requests to this source wait before this one and it answers in about ${Math.round(pace)} ms: it would not be answered before the call's time is up`,
        );
      }
    }
    this.waiting++;
    let started = false;
    try {
      return await queue.add(
        async () => {
          started = true;
          this.waiting--;
          const began = performance.now();
          try {
            return await task(signal);
          } finally {
            // A request given up by its caller says nothing about the source's pace.
            if (!signal?.aborted) this.record(source, performance.now() - began);
          }
        },
        { signal },
      );
    } finally {
      if (!started) {
        this.waiting--;
        // Left the queue unrun (aborted): no 'idle' may follow.
        if (queue.size === 0 && queue.pending === 0 && this.sources.get(source) === queue) this.sources.delete(source);
      }
    }
  }

  private open(source: string): PQueue {
    const queue = new PQueue({ concurrency: this.limits.concurrency });
    // A source nobody asks any more is dropped, so that addresses seen once do not accumulate.
    queue.on('idle', () => this.sources.get(source) === queue && this.sources.delete(source));
    this.sources.set(source, queue);
    return queue;
  }

  private record(source: string, ms: number): void {
    const pace = this.paces.get(source);
    this.paces.delete(source);
    if (this.paces.size >= PACES_KEPT) this.paces.delete(this.paces.keys().next().value!);
    this.paces.set(source, pace === undefined ? ms : pace + SERVICE_WEIGHT * (ms - pace));
  }

  /** Requests waiting and in flight, over all sources. */
  stats(): { waiting: number; inFlight: number } {
    let inFlight = 0;
    for (const queue of this.sources.values()) inFlight += queue.pending;
    return { waiting: this.waiting, inFlight };
  }
}
