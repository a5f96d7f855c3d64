// What the API server said when it refused a request: its status for code that decides on it, its message for
// error messages people read.
import { ApiException } from '@kubernetes/client-node';

/** Whether the API server answered `error`'s request with HTTP status `code` (404 missing, 409 conflict or taken). */
export function isApiStatus(error: unknown, code: number): boolean {
  return error instanceof ApiException && error.code === code;
}

/** The `message` of a Kubernetes Status body. */
export function serverMessage(body: unknown): string | undefined {
  let status = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      return body || undefined;
    }
  }
  const message = (status as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

/**
 * A failed API request in one line: `HTTP <status>: <the API server's message>`, or the error's own message when
 * no status came back (a network error). For client-node's ApiException (`code`) and its watch errors (`statusCode`).
 */
export function describeApiError(error: unknown): string {
  const { statusCode, code, body, message } = (error ?? {}) as { statusCode?: number; code?: unknown; body?: unknown; message?: string };
  const status = statusCode ?? (typeof code === 'number' ? code : undefined);
  return `${status ? `HTTP ${status}: ` : ''}${serverMessage(body) ?? message ?? String(error)}`.split('\n')[0]!;
}
