// Setting values in a release repository's YAML by path (`spec.template.spec.containers[0].image`), as a gitUpdate
// step does. Only the edited scalars change: comments, indentation, quoting and key order elsewhere stay byte for
// byte, so that the commit's diff is the change and nothing else. A path must already lead to a scalar: a missing
// key is far more often a typo than a wish for a new one, and a typo must not commit a field nobody reads.
import { Composer, CST, isScalar, parseAllDocuments, Parser, Scalar, type Document } from 'yaml';

export type PathSegment = string | number;

export class YamlPathError extends Error {
  override name = 'YamlPathError';
}

const KEY = /^[A-Za-z0-9_$-]+/;

/**
 * `a.b[0].c` or `metadata.annotations["app.kubernetes.io/name"]` as segments: dotted keys, `[n]` list indexes and
 * `["…"]` keys that hold dots or other characters.
 */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let rest = path;
  const fail = (why: string): never => {
    throw new YamlPathError(`path "${path}": ${why}; expected keys joined by dots with [n] for list items, e.g. spec.template.spec.containers[0].image`);
  };
  while (rest.length > 0) {
    if (rest.startsWith('[')) {
      const index = /^\[(\d+)\]/.exec(rest);
      const quoted = /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest);
      if (index) segments.push(Number(index[1]));
      else if (quoted) segments.push(JSON.parse(`"${quoted[1]}"`) as string);
      else fail(`"${rest}" is not [n] or ["key"]`);
      rest = rest.slice((index ?? quoted)![0].length);
    } else {
      if (segments.length > 0) {
        if (!rest.startsWith('.')) fail(`expected "." or "[" before "${rest}"`);
        rest = rest.slice(1);
      }
      const key = KEY.exec(rest);
      if (!key) fail(`"${rest}" does not start with a key`);
      segments.push(key![0]);
      rest = rest.slice(key![0].length);
    }
  }
  if (segments.length === 0) fail('it is empty');
  return segments;
}

export interface YamlEdit {
  path: string;
  value: string;
}

/** A YAML scalar as Kubernetes reads manifests (YAML 1.1: `yes` is true, `010` is 8). */
function readAsKubernetes(text: string, document: number, segments: PathSegment[]): unknown {
  return parseAllDocuments(text, { version: '1.1' })[document]?.getIn(segments);
}

/** Every document as Kubernetes reads it, or null when one does not parse. */
function contents(text: string): unknown[] | null {
  const docs = parseAllDocuments(text, { version: '1.1' });
  if (docs.some((doc) => doc.errors.length > 0)) return null;
  return docs.map((doc) => doc.toJS());
}

/**
 * `written` if, read as Kubernetes reads it, it is `text` with only the value at the path changed; an edit that
 * would break the file or change anything else (a value ending a flow map early) is refused.
 */
function onlyThatChanged(text: string, written: string, document: number, segments: PathSegment[], path: string): string {
  const before = contents(text);
  const after = contents(written);
  if (before && after) {
    let parent = before[document] as Record<PathSegment, unknown>;
    for (const segment of segments.slice(0, -1)) parent = parent[segment] as Record<PathSegment, unknown>;
    parent[segments.at(-1)!] = readAsKubernetes(written, document, segments);
    if (JSON.stringify(before) === JSON.stringify(after)) return written;
  }
  throw new YamlPathError(`path "${path}": writing this value would change the file beyond that value; refused`);
}

/**
 * The file's text with each edit's value written at its path in document `document` (0: the first of a
 * multi-document file). A value keeps the type the field had: a string stays a string (quoted when it would
 * otherwise read as something else), a number must be a number. Throws YamlPathError naming the path when a path
 * is not there, leads to a list or map, or the value does not fit; nothing is written then.
 */
export function setYamlPaths(text: string, edits: readonly YamlEdit[], document = 0): string {
  let result = text;
  for (const edit of edits) result = setOne(result, edit, document);
  return result;
}

function setOne(text: string, { path, value }: YamlEdit, document: number): string {
  const segments = parsePath(path);
  const tokens = [...new Parser().parse(text)];
  const docs: Document[] = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
  const doc = docs[document];
  if (!doc) throw new YamlPathError(`path "${path}": the file has ${docs.length} YAML document(s), not a document ${document + 1}`);
  const broken = doc.errors[0];
  if (broken) throw new YamlPathError(`path "${path}": the file is not valid YAML (${broken.message.split('\n')[0]})`);
  const node = doc.getIn(segments, true);
  if (node === undefined) throw new YamlPathError(`path "${path}": ${missingPart(doc, segments)}`);
  if (!isScalar(node) || !node.srcToken || !CST.isScalar(node.srcToken)) throw new YamlPathError(`path "${path}" leads to a list or map, not to a single value`);
  if (node.srcToken.type === 'block-scalar') throw new YamlPathError(`path "${path}" holds a block (| or >) text, which is not edited in place`);

  const before = readAsKubernetes(text, document, segments);
  const source = node.srcToken;
  const attempt = (type?: Scalar.Type): string => {
    CST.setScalarValue(source, value, type ? { type } : {});
    return tokens.map((token) => CST.stringify(token)).join('');
  };
  if (typeof before === 'number') {
    if (!/^-?\d+(\.\d+)?$/.test(value)) throw new YamlPathError(`path "${path}" holds a number (${before}); "${value}" is not one`);
    return onlyThatChanged(text, attempt(Scalar.PLAIN), document, segments, path);
  }
  if (typeof before === 'boolean') {
    if (value !== 'true' && value !== 'false') throw new YamlPathError(`path "${path}" holds true or false; "${value}" is neither`);
    return onlyThatChanged(text, attempt(Scalar.PLAIN), document, segments, path);
  }
  // A string (or an empty field): in the field's own style when that reads back as this very string, else quoted.
  const written = attempt();
  if (readAsKubernetes(written, document, segments) === value) return onlyThatChanged(text, written, document, segments, path);
  const quoted = attempt(Scalar.QUOTE_DOUBLE);
  if (readAsKubernetes(quoted, document, segments) !== value) throw new YamlPathError(`path "${path}": cannot write "${value}" so that it reads back the same`);
  return onlyThatChanged(text, quoted, document, segments, path);
}

/** Which part of the path is missing, for the error: the longest prefix that exists and what it holds. */
function missingPart(doc: Document, segments: PathSegment[]): string {
  for (let i = segments.length - 1; i > 0; i--) {
    const parent = doc.getIn(segments.slice(0, i), true);
    if (parent === undefined) continue;
    const at = formatSegments(segments.slice(0, i));
    const next = segments[i]!;
    return typeof next === 'number' ? `${at} has no item ${next}` : `${at} has no key "${next}"`;
  }
  return `the document has no key "${segments[0]}"`;
}

function formatSegments(segments: readonly PathSegment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : KEY.test(s) && KEY.exec(s)![0] === s ? `${i ? '.' : ''}${s}` : `[${JSON.stringify(s)}]`)).join('');
}
