// From the lines of each group to the counts the log judge compares: every line goes through one miner (so a
// template means the same in the canary, the baseline and the history), and each template keeps its worst level
// and a few masked samples to show people.
import type { LogLine } from '../../collect/source.js';
import { TemplateMiner, type TemplateMinerOptions } from './drain.js';
import { levelOf, levelOfValue, worseLevel, type LogLevel } from './levels.js';
import type { LogVolumes, TemplateCounts } from './compare.js';

const SAMPLES = 3;

export interface GroupLines {
  canary: readonly LogLine[];
  baseline: readonly LogLine[];
  /** The baseline pods' lines before the window, when read: a template seen there is not new. */
  history?: readonly LogLine[];
}

export interface CountedTemplates {
  templates: TemplateCounts[];
  volumes: LogVolumes;
  /** The miner the lines went through: later lines (people's feedback on a template) are matched against it. */
  miner: TemplateMiner;
}

/** The line's level: the store's level field when it names one, else what the line says of itself. */
function lineLevel(line: LogLine): LogLevel {
  return (line.level !== undefined ? levelOfValue(line.level) : null) ?? levelOf(line.message);
}

interface Tally {
  id: string;
  canary: number;
  baseline: number;
  history: number;
  level: LogLevel;
  canarySamples: string[];
  otherSamples: string[];
}

/** Per template, the lines of each group; the history and baseline first, so the canary's lines join their templates. */
export function countTemplates(groups: GroupLines, options: TemplateMinerOptions = {}): CountedTemplates {
  const miner = new TemplateMiner(options);
  const tallies = new Map<string, Tally>();
  const add = (line: LogLine, group: 'canary' | 'baseline' | 'history') => {
    const mined = miner.add(line.message);
    let tally = tallies.get(mined.id);
    if (!tally) tallies.set(mined.id, (tally = { id: mined.id, canary: 0, baseline: 0, history: 0, level: 'info', canarySamples: [], otherSamples: [] }));
    tally[group] += 1;
    tally.level = worseLevel(tally.level, lineLevel(line));
    const samples = group === 'canary' ? tally.canarySamples : tally.otherSamples;
    if (samples.length < SAMPLES) samples.push(mined.masked);
  };
  for (const line of groups.history ?? []) add(line, 'history');
  for (const line of groups.baseline) add(line, 'baseline');
  for (const line of groups.canary) add(line, 'canary');
  // Templates are final only once every line is in: a later line may have widened one. Samples show what the
  // canary logged, where it logged the template.
  const templates = [...tallies.values()].map(
    ({ id, canary, baseline, history, level, canarySamples, otherSamples }): TemplateCounts => ({
      id,
      template: miner.template(id),
      canary,
      baseline,
      ...(groups.history && { history }),
      level,
      samples: canarySamples.length ? canarySamples : otherSamples,
    }),
  );
  const volumes: LogVolumes = { canary: groups.canary.length, baseline: groups.baseline.length, ...(groups.history && { history: groups.history.length }) };
  return { templates, volumes, miner };
}
