// Loghub's Group Accuracy (Zhu et al., "Tools and Benchmarks for Automated Log Parsing", ICSE-SEIP 2019): a line
// is parsed correctly iff the lines grouped with it are exactly the lines of its true template.

/** The share of lines whose predicted group holds exactly the lines of their true group; `truth[i]` and `predicted[i]` label line i. */
export function groupAccuracy(truth: readonly string[], predicted: readonly string[]): number {
  if (truth.length !== predicted.length) throw new Error(`groupAccuracy: ${truth.length} true labels but ${predicted.length} predicted`);
  if (truth.length === 0) throw new Error('groupAccuracy: no lines');
  const trueSizes = new Map<string, number>();
  for (const label of truth) trueSizes.set(label, (trueSizes.get(label) ?? 0) + 1);
  // Per predicted group: its size and its true labels.
  const groups = new Map<string, { size: number; labels: Set<string> }>();
  truth.forEach((label, i) => {
    const group = groups.get(predicted[i]!) ?? { size: 0, labels: new Set<string>() };
    group.size++;
    group.labels.add(label);
    groups.set(predicted[i]!, group);
  });
  let correct = 0;
  for (const { size, labels } of groups.values()) {
    const [label] = labels;
    if (labels.size === 1 && trueSizes.get(label!) === size) correct += size;
  }
  return correct / truth.length;
}
