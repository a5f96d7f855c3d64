// Log template mining: lines of one kind of message fall into one cluster whose template keeps the words they share
// and shows `<*>` where they differ. Drain (He et al., "Drain: An Online Log Parsing Approach with Fixed Depth
// Tree", ICWS 2017), online: each line is masked (mask.ts), split into words, led down a tree of fixed depth by its
// word count and its first words, and compared with the few clusters at that leaf; it joins the most similar one
// if enough of its words agree at their places, else starts a new cluster.
//
// Differences from the paper:
// - the words that lead down the tree are the first ones that are not likely variables (holding a digit or a
//   typed token), so that `<TS> INFO [orders] …` is led by `INFO [orders]`, as a line whose header was cut off
//   would be by its first words, and a variable word seldom splits its kind;
// - those leading words are left out of the similarity: they are equal by construction, and a header's words
//   (`ts=<TS> level=info logger=orders`) would otherwise make unrelated messages of one logger look alike;
// - memory is bounded: at most `maxTemplates` clusters, and a line too long is clustered on its first MAX_TOKENS
//   words; a line that matches no cluster once the limit is reached is counted in one overflow cluster
//   (OVERFLOW_ID), so that it is never lost and nothing grows without bound.
// The defaults (depth 5: two leading words; similarity 0.6) are the best of depths 4–6 and similarities 0.3–0.7
// on the Loghub-2k datasets and the benchmark's generated logs taken together (bench/logs.ts), one setting for all.

import { maskLine } from './mask.js';

export interface TemplateMinerOptions {
  /** Depth of the tree: the root, the word count, depth − 3 leading words, then the clusters (at least 3). */
  depth?: number;
  /** The share of a cluster's words (but the leading ones) a line must repeat at their places to join it, in (0, 1]. */
  similarity?: number;
  /** Children of a tree node beyond which new words share the `<*>` branch (at least 2). */
  maxChildren?: number;
  /** Clusters kept; lines matching none beyond that go to the overflow cluster (at least 1). */
  maxTemplates?: number;
}

export const DEFAULT_MINER_OPTIONS: Readonly<Required<TemplateMinerOptions>> = {
  depth: 5,
  similarity: 0.6,
  maxChildren: 100,
  maxTemplates: 5000,
};

/** Words of a line that are clustered; the words after them are joined into the last one. */
export const MAX_TOKENS = 64;

/** The template of a variable word. */
export const WILDCARD = '<*>';

/** The cluster of the lines that matched no cluster once `maxTemplates` were made. */
export const OVERFLOW_ID = 'overflow';
export const OVERFLOW_TEMPLATE = '<overflow: lines of further templates beyond the limit>';

export interface MinedLine {
  /** The cluster's id, stable for its life ("t1", "t2", … in order of creation; OVERFLOW_ID for the overflow). */
  id: string;
  /** The cluster's template once this line has joined it. */
  template: string;
  /** The line as clustered: maskLine's output. */
  masked: string;
}

export interface MinedTemplate {
  id: string;
  template: string;
  /** Lines added to the cluster. */
  count: number;
}

interface Cluster {
  id: string;
  tokens: string[];
  template: string;
  count: number;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
}

const newNode = (): TreeNode => ({ children: new Map(), clusters: [] });

// Whitespace other than single spaces between words: most lines have none, and split(' ') is the faster.
const UNEVEN_SPACE = /(?! )\s| {2}|^ | $/;

/** The words of a masked line, at most MAX_TOKENS. */
export function tokenize(masked: string): string[] {
  let tokens: string[];
  if (masked === '') tokens = [];
  else if (!UNEVEN_SPACE.test(masked)) tokens = masked.split(' ');
  else {
    tokens = masked.split(/\s+/);
    // split leaves an empty word before leading and after trailing whitespace.
    if (tokens[0] === '') tokens.shift();
    if (tokens.length > 0 && tokens[tokens.length - 1] === '') tokens.pop();
  }
  if (tokens.length > MAX_TOKENS) tokens.splice(MAX_TOKENS - 1, tokens.length, tokens.slice(MAX_TOKENS - 1).join(' '));
  return tokens;
}

function hasDigit(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code >= 48 && code <= 57) return true;
  }
  return false;
}

/** A word that is likely a variable: it holds a digit or a typed token (`<IP>,<IP>`). */
function isVariable(token: string): boolean {
  return hasDigit(token) || (token.includes('<') && MASKED.test(token));
}

const MASKED = /<[A-Z]+>/;

/** Where the words that lead a line down the tree are: its first `count` words that are not likely variables. */
function pathOf(tokens: readonly string[], count: number): number[] {
  const path: number[] = [];
  for (let i = 0; i < tokens.length && path.length < count; i++) if (!isVariable(tokens[i]!)) path.push(i);
  return path;
}

function checkOption(name: string, value: number, valid: boolean, expected: string): number {
  if (!valid) throw new RangeError(`${name}: expected ${expected}; got ${value}`);
  return value;
}

export class TemplateMiner {
  readonly options: Readonly<Required<TemplateMinerOptions>>;
  readonly #byLength = new Map<number, TreeNode>();
  readonly #clusters: Cluster[] = [];
  /** The clusters of each word count, for match()'s search past the tree. */
  readonly #ofLength = new Map<number, Cluster[]>();
  readonly #overflow: Cluster = { id: OVERFLOW_ID, tokens: [], template: OVERFLOW_TEMPLATE, count: 0 };
  readonly #pathLength: number;

  constructor(options: TemplateMinerOptions = {}) {
    const { depth, similarity, maxChildren, maxTemplates } = { ...DEFAULT_MINER_OPTIONS, ...options };
    this.options = {
      depth: checkOption('depth', depth, Number.isInteger(depth) && depth >= 3, 'a whole number of at least 3'),
      similarity: checkOption('similarity', similarity, similarity > 0 && similarity <= 1, 'a number above 0 and at most 1'),
      maxChildren: checkOption('maxChildren', maxChildren, Number.isInteger(maxChildren) && maxChildren >= 2, 'a whole number of at least 2'),
      maxTemplates: checkOption('maxTemplates', maxTemplates, Number.isInteger(maxTemplates) && maxTemplates >= 1, 'a whole number of at least 1'),
    };
    this.#pathLength = this.options.depth - 3;
  }

  /** Masks `line`, puts it in its cluster (a new one if none is similar enough) and returns that cluster. */
  add(line: string): MinedLine {
    const masked = maskLine(line);
    const tokens = tokenize(masked);
    const path = pathOf(tokens, this.#pathLength);
    const leaf = this.#leafFor(tokens, path);
    const cluster = leaf ? this.#closest(leaf.clusters, tokens, path) : undefined;
    if (cluster) {
      this.#merge(cluster, tokens);
      return { id: cluster.id, template: cluster.template, masked };
    }
    if (this.#clusters.length >= this.options.maxTemplates) {
      this.#overflow.count++;
      return { id: OVERFLOW_ID, template: OVERFLOW_TEMPLATE, masked };
    }
    const created: Cluster = { id: `t${this.#clusters.length + 1}`, tokens, template: tokens.join(' '), count: 1 };
    this.#clusters.push(created);
    this.#grow(tokens, path).clusters.push(created);
    const sameLength = this.#ofLength.get(tokens.length);
    if (sameLength) sameLength.push(created);
    else this.#ofLength.set(tokens.length, [created]);
    return { id: created.id, template: created.template, masked };
  }

  /**
   * The cluster whose template `line` fits (every word other than `<*>` equal), without learning from it; the
   * most specific (fewest `<*>`) when several fit; null if none does (the overflow cluster is never matched).
   */
  match(line: string): MinedLine | null {
    const masked = maskLine(line);
    const tokens = tokenize(masked);
    const leaf = this.#leafFor(tokens, pathOf(tokens, this.#pathLength));
    // A cluster is in the leaf its first line led to; a later branch for one of this line's words may lead it
    // elsewhere, so the clusters of its length are searched when the leaf has none that fits.
    const cluster = (leaf && fittest(leaf.clusters, tokens)) ?? fittest(this.#ofLength.get(tokens.length) ?? [], tokens);
    return cluster ? { id: cluster.id, template: cluster.template, masked } : null;
  }

  /** The current template of cluster `id`. */
  template(id: string): string {
    return this.#cluster(id).template;
  }

  /** Every cluster in order of creation, then the overflow cluster if a line went there. */
  templates(): MinedTemplate[] {
    const all = this.#overflow.count > 0 ? [...this.#clusters, this.#overflow] : this.#clusters;
    return all.map(({ id, template, count }) => ({ id, template, count }));
  }

  #cluster(id: string): Cluster {
    if (id === OVERFLOW_ID) return this.#overflow;
    const index = /^t([1-9]\d*)$/.exec(id) ? Number(id.slice(1)) - 1 : -1;
    const cluster = this.#clusters[index];
    if (!cluster) throw new RangeError(`unknown template id ${JSON.stringify(id)}: expected one that add() returned`);
    return cluster;
  }

  /** The leaf `tokens` lead to: exact words first, else the `<*>` branch; undefined where the tree has neither. */
  #leafFor(tokens: readonly string[], path: readonly number[]): TreeNode | undefined {
    let node = this.#byLength.get(tokens.length);
    for (const at of path) {
      if (!node) return undefined;
      node = node.children.get(tokens[at]!) ?? node.children.get(WILDCARD);
    }
    return node;
  }

  /** The leaf for a new cluster's `tokens`, adding branches: a node with maxChildren children sends new words down `<*>`. */
  #grow(tokens: readonly string[], path: readonly number[]): TreeNode {
    let node: TreeNode | undefined = this.#byLength.get(tokens.length);
    if (!node) this.#byLength.set(tokens.length, (node = newNode()));
    for (const at of path) {
      const key = tokens[at]!;
      let child: TreeNode | undefined = node.children.get(key);
      if (!child) {
        // The last free place is kept for `<*>`.
        const full = key !== WILDCARD && node.children.size + (node.children.has(WILDCARD) ? 0 : 1) >= this.options.maxChildren;
        const branch = full ? WILDCARD : key;
        child = node.children.get(branch);
        if (!child) node.children.set(branch, (child = newNode()));
      }
      node = child;
    }
    return node;
  }

  /** The most similar cluster of a leaf, if similar enough: ties go to the one with more `<*>` (already more general). */
  #closest(clusters: readonly Cluster[], tokens: readonly string[], path: readonly number[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSimilarity = -1;
    let bestWildcards = -1;
    for (const cluster of clusters) {
      let same = 0;
      let wildcards = 0;
      const template = cluster.tokens;
      // The words that led the line here (`path`, in order) are equal by construction: no evidence of likeness.
      for (let i = 0, next = 0; i < template.length; i++) {
        if (i === path[next]) {
          next++;
          continue;
        }
        const word = template[i]!;
        if (word === WILDCARD) wildcards++;
        else if (word === tokens[i]) same++;
      }
      const compared = template.length - path.length;
      const similarity = compared <= 0 ? 1 : same / compared;
      if (similarity > bestSimilarity || (similarity === bestSimilarity && wildcards > bestWildcards)) {
        best = cluster;
        bestSimilarity = similarity;
        bestWildcards = wildcards;
      }
    }
    return bestSimilarity >= this.options.similarity ? best : undefined;
  }

  /** Words where the line differs from the template become `<*>`. */
  #merge(cluster: Cluster, tokens: readonly string[]): void {
    cluster.count++;
    let changed = false;
    const template = cluster.tokens;
    for (let i = 0; i < template.length; i++) {
      if (template[i] !== WILDCARD && template[i] !== tokens[i]) {
        template[i] = WILDCARD;
        changed = true;
      }
    }
    if (changed) cluster.template = template.join(' ');
  }
}

/** The cluster of `clusters` whose template `tokens` fit with the fewest `<*>`. */
function fittest(clusters: readonly Cluster[], tokens: readonly string[]): Cluster | undefined {
  let best: Cluster | undefined;
  let bestWildcards = Infinity;
  for (const cluster of clusters) {
    let wildcards = 0;
    let fits = true;
    for (let i = 0; i < tokens.length && fits; i++) {
      const word = cluster.tokens[i]!;
      if (word === WILDCARD) wildcards++;
      else fits = word === tokens[i];
    }
    if (fits && wildcards < bestWildcards) {
      best = cluster;
      bestWildcards = wildcards;
    }
  }
  return best;
}
