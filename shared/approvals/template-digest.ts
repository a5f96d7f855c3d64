// A digest of a pod template that is the same for the template the bot writes and for the template the Argo
// Rollouts controller later hands to a step plugin. The controller's copy went through Go — typed structs, the
// plugin RPC (gob), then json.Marshal in the bridge — and differs in form from what was written:
// - empty values appear or vanish: `metadata: {creationTimestamp: null}`, `resources: {}`, and omitempty fields
//   left out when "" or, for some, false or 0;
// - every resource quantity arrives as "0": gob drops resource.Quantity's unexported fields on the way to the
//   plugin, so no plugin can see quantity values;
// - key order.
// The normal form below removes those differences and nothing else it can see: it drops nulls, "", empty objects
// and lists, `metadata.creationTimestamp`, the controller's `rollouts-pod-template-hash` label, any template
// metadata but labels and annotations (the Rollout CRD keeps only those), false or 0 in the fields where
// Kubernetes treats them as unset (ZERO_IS_UNSET), the defaults the Rollout CRD fills in (SCHEMA_DEFAULTS, so that a
// manifest that leaves them out agrees too), replaces each quantity by a mark (which resources are set is compared,
// their amounts cannot be), and sorts keys.
import { createHash } from 'node:crypto';
import { isRecord } from '../kube/json.js';
import { POD_TEMPLATE_HASH_LABEL } from '../kube/rollout-types.js';

/** Fields whose false or 0 means the same as leaving them out (Go's omitempty on a non-pointer field). */
const ZERO_IS_UNSET: ReadonlySet<string> = new Set([
  'readOnly',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'stdin',
  'stdinOnce',
  'tty',
  'hostPort',
  'initialDelaySeconds',
  'timeoutSeconds',
  'periodSeconds',
  'successThreshold',
  'failureThreshold',
]);

/** Defaults the Rollout CRD writes in when left out (the API server applies them on every write). */
const SCHEMA_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: 'TCP', optional: false };

/** Maps whose values are quantities, and single quantity fields: compared as present, not by amount. */
const QUANTITY_MAPS: ReadonlySet<string> = new Set(['limits', 'requests', 'overhead']);
const QUANTITY_FIELDS: ReadonlySet<string> = new Set(['sizeLimit']);
/** A quantity Go writes out even when unset ("0"), so that its presence cannot be compared either. */
const IGNORED_FIELDS: ReadonlySet<string> = new Set(['divisor']);
const QUANTITY_MARK = '<quantity>';

function emptyLike(value: unknown): unknown {
  if (typeof value === 'string') return '';
  if (Array.isArray(value)) return [];
  return isRecord(value) ? {} : null;
}

/** The normal form of one value, or undefined when it counts as unset. */
function normalise(value: unknown, key: string | undefined, inQuantityMap: boolean): unknown {
  if (value === null || value === undefined || value === '' || (key !== undefined && IGNORED_FIELDS.has(key))) return undefined;
  if ((inQuantityMap || (key !== undefined && QUANTITY_FIELDS.has(key))) && (typeof value === 'string' || typeof value === 'number')) return QUANTITY_MARK;
  if (key !== undefined && (((value === false || value === 0) && ZERO_IS_UNSET.has(key)) || SCHEMA_DEFAULTS[key] === value)) return undefined;
  if (Array.isArray(value)) {
    // An item keeps its place: "" in a list of arguments means something.
    return value.length ? value.map((item) => normalise(item, undefined, false) ?? emptyLike(item)) : undefined;
  }
  if (isRecord(value)) {
    const quantities = key !== undefined && QUANTITY_MAPS.has(key);
    const entries = Object.keys(value)
      .sort()
      .map((name) => [name, normalise(value[name], name, quantities)] as const)
      .filter(([, item]) => item !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value;
}

/** The template in the normal form described above. */
function normaliseTemplate(template: unknown): unknown {
  if (!isRecord(template)) return normalise(template, undefined, false);
  const metadata = isRecord(template.metadata) ? template.metadata : {};
  const labels = isRecord(metadata.labels) ? { ...metadata.labels } : undefined;
  if (labels) delete labels[POD_TEMPLATE_HASH_LABEL];
  return normalise({ ...template, metadata: { labels, annotations: metadata.annotations } }, undefined, false) ?? {};
}

/** SHA-256 (hex) of the template's normal form, serialised with sorted keys. */
export function templateDigest(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(normaliseTemplate(template))).digest('hex');
}
