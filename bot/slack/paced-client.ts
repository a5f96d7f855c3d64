// The leader's Slack client. Its calls are not made for a person, so a rate-limited call fails at once (the next pass
// tries again) rather than holding up the loop. But passes come as fast as Kubernetes changes, every 200 ms in a
// burst of decisions, so a client that only reported 429s would keep calling a method Slack has asked it to leave
// alone. This one honours `Retry-After`: until it has passed, a call of that method (chat.postMessage: in that
// channel, Slack's limit being per channel) fails at once with the same rate-limit error, without being sent (nor
// counted: it never reached Slack).
import { WebAPIRateLimitedError, type WebAPICallResult } from '@slack/web-api';
import { type MeteredClientOptions, MeteredWebClient } from './metered-client.js';

/** What a rate limit applies to: chat.postMessage per channel, every other method per app and workspace. */
function scopeOf(method: string, options: Record<string, unknown> | undefined): string {
  const channel = options?.channel;
  return method === 'chat.postMessage' && typeof channel === 'string' ? `${method} ${channel}` : method;
}

export class PacedWebClient extends MeteredWebClient {
  /** When each rate-limited scope may be called again (ms since the epoch). */
  private readonly pausedUntil = new Map<string, number>();

  constructor(token: string, options: MeteredClientOptions = {}, private readonly now: () => number = Date.now) {
    super(token, { ...options, rejectRateLimitedCalls: true });
  }

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    const scope = scopeOf(method, options);
    const until = this.pausedUntil.get(scope);
    if (until !== undefined) {
      const waitMs = until - this.now();
      if (waitMs > 0) throw new WebAPIRateLimitedError(Math.ceil(waitMs / 1000));
      this.pausedUntil.delete(scope);
    }
    try {
      return await super.apiCall(method, options);
    } catch (error) {
      if (error instanceof WebAPIRateLimitedError) this.pausedUntil.set(scope, this.now() + Math.max(1, error.retryAfter) * 1000);
      throw error;
    }
  }
}
