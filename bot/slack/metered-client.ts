// A Slack Web API client that counts what went wrong (bot/metrics.ts): every call that failed, by method and error,
// and every 429 Slack answered, whether the client then waits it out and tries again or fails at once. A rate limit
// is counted only as such, not as a failure too. The counting is in the class, not wrapped around an instance,
// because the WebClient binds its methods (chat.postMessage, …) to apiCall when it is constructed.
import { ErrorCode, type WebAPICallResult, WebClient, WebClientEvent, type WebClientOptions } from '@slack/web-api';
import type { BotMetrics } from '../metrics.js';

export interface MeteredClientOptions extends WebClientOptions {
  /** Where to count; without it, nothing is counted. */
  metrics?: BotMetrics;
}

export class MeteredWebClient extends WebClient {
  private readonly metrics: BotMetrics | undefined;

  constructor(token: string, { metrics, ...options }: MeteredClientOptions = {}) {
    super(token, options);
    this.metrics = metrics;
    // Emitted for each 429 with Retry-After, before the client waits or rejects; `url` is the API base and the method.
    this.on(WebClientEvent.RATE_LIMITED, (_retryAfterS: number, request: { url: string }) => metrics?.slackRateLimited(request.url.slice(this.slackApiUrl.length)));
  }

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    try {
      return await super.apiCall(method, options);
    } catch (error) {
      const code = failureCode(error);
      if (code !== undefined) this.metrics?.slackApiError(method, code);
      throw error;
    }
  }
}

/**
 * What a failed call is counted under: Slack's error code (channel_not_found), `http_<status>`, or `request` when
 * Slack was not reached. Undefined for a rate limit (counted from its 429) and for what never reached Slack.
 */
function failureCode(error: unknown): string | undefined {
  const failure = error as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown } | null;
  switch (failure?.code) {
    case ErrorCode.PlatformError:
      return String(failure.data?.error);
    case ErrorCode.HTTPError:
      return `http_${String(failure.statusCode)}`;
    case ErrorCode.RequestError:
      return 'request';
    default:
      return undefined;
  }
}
