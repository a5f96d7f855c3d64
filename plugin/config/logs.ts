// `logs:` of a verification config: where the service's lines are, which of them belong to the service (a query in
// the log store's own language; the store's backend adds each group's pods and the time range), how lines name
// their pod, and how many lines one look may read.
import { z } from 'zod';
import { durationField } from '../../shared/config/duration.js';
import { logsOf, logSourceConfigSchema, LOG_SOURCE_KINDS, type SourceConfig } from '../collect/registry.js';
import { SELECT_BY } from '../collect/source.js';
import { SENSITIVITIES, type Sensitivity } from '../judge/types.js';

export interface LogsConfig {
  source: SourceConfig;
  /** The service's lines, in the store's language (e.g. `{namespace="shop", app="web"}` for Loki). */
  query: string;
  selectBy: (typeof SELECT_BY)[number];
  /** The field (label, attribute) naming a line's pod. */
  instanceField: string;
  /** The field holding the pod-template hash, for selectBy: label. */
  hashField: string;
  /** Most lines read per group at a look; above it the lines read are a sample of the group's. */
  maxLines: number;
  /** How far before the window the stable pods' lines are read: a template seen there is not new. 0 reads none. */
  historyMs: number;
  /** Overrides the verification's sensitivity for the logs. */
  sensitivity?: Sensitivity;
  /** A log failure scores the verification 0. */
  critical: boolean;
  /** The logs' share in the score, relative to the metrics'. */
  weight: number;
  /** Without lines from both groups there is no analysis (else the logs are left out of the verdict). */
  mustHaveData: boolean;
}

export const DEFAULT_MAX_LINES = 20_000;
const MAX_MAX_LINES = 200_000;
const MAX_QUERY_CHARS = 4_000;

const fieldName = z.string().min(1).max(200);

export const logsSchema = z
  .strictObject({
    source: logSourceConfigSchema,
    query: z.string().trim().min(1, { error: 'expected the query selecting the service\'s lines in the log store\'s language (e.g. {namespace="shop", app="web"} for Loki)' }).max(MAX_QUERY_CHARS),
    selectBy: z.enum(SELECT_BY).default('podName'),
    instanceField: fieldName.default('pod'),
    hashField: fieldName.default('rollouts_pod_template_hash'),
    maxLines: z.number().int().min(100).max(MAX_MAX_LINES).default(DEFAULT_MAX_LINES),
    history: durationField({ min: 0, max: 24 * 3_600_000 }).default(3_600_000),
    sensitivity: z.enum(SENSITIVITIES).optional(),
    critical: z.boolean().default(false),
    weight: z.number().positive().finite().default(1),
    mustHaveData: z.boolean().default(false),
  })
  .superRefine((logs, ctx) => {
    // A source that did not parse is reported on its own; the dialect is then unknown.
    const kind = (logs.source as { kind?: unknown } | undefined)?.kind;
    if (typeof kind !== 'string' || !(LOG_SOURCE_KINDS as string[]).includes(kind)) return;
    const side = logsOf(logs.source);
    for (const problem of side.queryProblems(logs.query, logs.source.settings)) ctx.addIssue({ code: 'custom', path: ['query'], message: problem });
    for (const key of ['instanceField', 'hashField'] as const) {
      const problem = side.fieldProblem(logs[key]);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    }
  })
  .transform(({ history, sensitivity, ...rest }): LogsConfig => ({ ...rest, historyMs: history, ...(sensitivity && { sensitivity }) }));
