// Reading fields of Kubernetes JSON (AnalysisRun, Metric, Rollout, pod templates) without trusting its shape.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The string at `path`, or '' when any step is missing or not of the expected kind. */
export function stringAt(value: unknown, ...path: string[]): string {
  let node = value;
  for (const key of path) node = isRecord(node) ? node[key] : undefined;
  return typeof node === 'string' ? node : '';
}
