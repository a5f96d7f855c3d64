// What the API server said when it refused a request, for error messages people read.

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
