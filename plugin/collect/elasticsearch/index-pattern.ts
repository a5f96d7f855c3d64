// `source.<kind>.index`: what a search reads, in the multi-target syntax Elasticsearch and OpenSearch share: index
// names, aliases or data streams, `*` wildcards, several separated by commas, `-` before a later one to exclude
// what it matches, and `<cluster>:` before one to read a remote cluster. Each name follows the documented rules for
// index names (https://www.elastic.co/guide/en/elasticsearch/reference/current/indices-create-index.html#indices-create-api-path-params),
// `*` aside. Date math (`<logs-{now/d}>`) is not accepted: the time range is the engine's, not the index name's.

// Longer text is no index list a person wrote; the request line that carries it has a limit (4 KiB by default).
const MAX_PATTERN_CHARS = 1000;
const MAX_NAME_BYTES = 255;
// The documented forbidden characters, and any white space or control character.
const FORBIDDEN = /[\\/?"<>|,#:\s\p{Cc}]/u;
const CLUSTER_ALIAS = /^[a-zA-Z0-9_*-]+$/;

const FORM = 'an index name or pattern such as "logs-*" (several separated by commas, "-" before a later one to exclude it)';

/** Why `name` (one item, without its `-` or `cluster:`) cannot be an index name or pattern, or null. */
function nameProblem(name: string): string | null {
  if (name === '') return 'is empty';
  if (name !== name.toLowerCase()) return 'has upper-case letters (index names are lower case)';
  const forbidden = FORBIDDEN.exec(name);
  if (forbidden) return `contains ${JSON.stringify(forbidden[0])} (index names cannot contain \\ / ? " < > | , # : or spaces)`;
  if (/^[-_+]/.test(name)) return 'starts with -, _ or + (index names cannot)';
  if (name === '.' || name === '..') return 'is . or .. (no index can be named so)';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `is longer than ${MAX_NAME_BYTES} bytes`;
  return null;
}

/** Why `text` cannot be a search's index list, or null. Messages repeat a clipped item, never more. */
export function indexPatternProblem(text: string): string | null {
  if (text.length > MAX_PATTERN_CHARS) return `expected ${FORM} of at most ${MAX_PATTERN_CHARS} characters; got ${text.length}`;
  const items = text.split(',');
  for (const [i, item] of items.entries()) {
    const excluded = i > 0 && item.startsWith('-');
    let name = excluded ? item.slice(1) : item;
    const colon = name.indexOf(':');
    if (colon >= 0) {
      const cluster = name.slice(0, colon);
      if (!CLUSTER_ALIAS.test(cluster)) return `expected ${FORM}; the remote cluster alias before ":" in ${JSON.stringify(item.slice(0, 80))} must be letters, digits, _, - or *`;
      name = name.slice(colon + 1);
    }
    const problem = nameProblem(name);
    if (problem) return `expected ${FORM}; ${JSON.stringify(item.slice(0, 80))} ${problem}`;
  }
  return null;
}
