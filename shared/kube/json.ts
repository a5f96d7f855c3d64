// Reading fields of Kubernetes JSON (AnalysisRun, Metric, Rollout, pod templates) without trusting its shape.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(value: unknown, path: string[]): unknown {
  let node = value;
  for (const key of path) node = isRecord(node) ? node[key] : undefined;
  return node;
}

/** The string at `path`, or '' when any step is missing or not of the expected kind. */
export function stringAt(value: unknown, ...path: string[]): string {
  const node = valueAt(value, path);
  return typeof node === 'string' ? node : '';
}

/** The object at `path`, or undefined when any step is missing or not of the expected kind. */
export function recordAt(value: unknown, ...path: string[]): Record<string, unknown> | undefined {
  const node = valueAt(value, path);
  return isRecord(node) ? node : undefined;
}
