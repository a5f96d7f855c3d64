// Argo Rollouts' template args: `{{args.<name>}}` in a metric, filled from `args[]` as the controller fills them
// (an AnalysisTemplate's defaults, the values an AnalysisRun was created with).
import { isRecord } from '../../shared/kube/json.js';

const ARG = /\{\{\s*args\.([^}\s]+)\s*\}\}/g;

function fill(value: unknown, args: Record<string, string>, missing: Set<string>): unknown {
  if (typeof value === 'string') {
    return value.replace(ARG, (tag, name: string) => {
      if (args[name] === undefined) missing.add(name);
      return args[name] ?? tag;
    });
  }
  if (Array.isArray(value)) return value.map((item) => fill(item, args, missing));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, args, missing)]));
  return value;
}

/** `value` with every `{{args.<name>}}` in its strings replaced, and the names of the args without a value. */
export function fillArgs<T>(value: T, args: Record<string, string>): { filled: T; missing: string[] } {
  const missing = new Set<string>();
  const filled = fill(value, args, missing) as T;
  return { filled, missing: [...missing] };
}

/** The plain values of an `args` list (`[{name, value}]`); args given `valueFrom` (a Secret, a field) have none here. */
export function argValues(args: unknown): Record<string, string> {
  const declared = Array.isArray(args) ? args.filter(isRecord) : [];
  return Object.fromEntries(declared.filter((arg) => typeof arg.name === 'string' && typeof arg.value === 'string').map((arg) => [arg.name as string, arg.value as string]));
}
