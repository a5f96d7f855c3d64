// The Pipeline resource's spec: variables, ordered stages of steps, rollback steps and failure strategies (the
// reference release: dev → qa → approval → prod canary with verification → approval → second region). Validated
// here in full, so that a Pipeline the API server admitted but this controller cannot run gets a status that names
// the field, and a PipelineRun never starts on it.
import { z } from 'zod';
import { DNS_LABEL, DNS_SUBDOMAIN } from '../kube/names.js';
import { approversSchema } from '../approvals/waiting.js';
import { durationField } from '../config/duration.js';
import { ConfigError, parseConfig } from '../config/errors.js';
import { references, TemplateError, type Reference } from './template.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const dnsLabel = z.string().regex(DNS_LABEL, 'expected a lowercase name of letters, digits and "-", at most 63 characters, e.g. "prod-na"');
const objectName = z.string().regex(DNS_SUBDOMAIN, 'expected a Kubernetes object name (lowercase letters, digits, "-" and "."), e.g. "loans-api"');
/** Text that may hold ${{ … }} references (template.ts). */
const text = (max: number) => z.string().min(1).max(max);
const secretRef = z.strictObject({ name: objectName });

const repository = z.strictObject({
  url: z.string().min(1).max(2048),
  branch: z.string().min(1).max(255).default('main'),
  /** A Secret in the run's namespace: `username` + `token` (HTTPS), or `sshPrivateKey` + `knownHosts`. */
  credentialsSecret: secretRef.optional(),
});

/** The forges' own REST APIs, where a pull request's apiUrl is not given. */
export const FORGE_API_URLS = { github: 'https://api.github.com', gitlab: 'https://gitlab.com/api/v4' } as const;

/** Deliver the commit through a pull request (a merge request on GitLab) instead of pushing it to the branch. */
const pullRequest = z
  .strictObject({
    provider: z.enum(['github', 'gitlab']),
    /** The forge's REST API, e.g. https://ghe.example/api/v3 or https://gitlab.example/api/v4. */
    apiUrl: z.url({ protocol: /^https?$/, error: "expected the forge API's http(s):// address, e.g. https://api.github.com or https://gitlab.example/api/v4" }).max(2048).optional(),
    /** Default: the commit message's first line. */
    title: text(255).optional(),
    body: text(65_536).optional(),
    /** Merge it and wait for the merge (true), or open it and leave the merge to people (false). */
    merge: z.boolean().default(true),
    mergeMethod: z.enum(['merge', 'squash', 'rebase']).default('merge'),
    /** How long a pull request that is not mergeable yet (checks running, reviews missing) is waited for. */
    timeout: durationField({ min: 1000, max: 7 * DAY }).default(30 * MINUTE),
  })
  .superRefine((value, ctx) => {
    if (value.provider !== 'gitlab') return;
    // GitLab merges as the project's merge method says; a request can only ask to squash.
    if (value.mergeMethod === 'rebase') ctx.addIssue({ code: 'custom', path: ['mergeMethod'], message: 'expected merge or squash with provider gitlab (a GitLab project sets fast-forward or rebase merges itself)' });
    if (value.apiUrl !== undefined && !/\/api\/v4\/?$/.test(new URL(value.apiUrl).pathname)) {
      ctx.addIssue({ code: 'custom', path: ['apiUrl'], message: `expected GitLab's API address, ending in /api/v4, e.g. https://gitlab.example/api/v4; got ${JSON.stringify(value.apiUrl)}` });
    }
  })
  .transform(({ apiUrl, ...value }) => ({ ...value, apiUrl: (apiUrl ?? FORGE_API_URLS[value.provider]).replace(/\/+$/, '') }));

const gitUpdate = z
  .strictObject({
    repository,
    files: z
      .array(
        z.strictObject({
          path: z.string().min(1).max(1024),
          document: z.int().min(0).default(0),
          set: z.array(z.strictObject({ path: z.string().min(1).max(1024), value: text(4096) })).min(1),
        }),
      )
      .min(1),
    message: text(4096),
    allowEmpty: z.boolean().default(false),
    pullRequest: pullRequest.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.pullRequest && !value.repository.credentialsSecret) {
      ctx.addIssue({ code: 'custom', path: ['repository', 'credentialsSecret'], message: "is required with pullRequest: the forge API's token is read from it" });
    }
  });

const gitRevert = z.strictObject({
  /** The gitUpdate step of the same stage whose commit is reverted. */
  step: dnsLabel,
});

const sync = z.strictObject({
  application: objectName,
  namespace: dnsLabel.default('argocd'),
  prune: z.boolean().default(false),
  /** Health statuses that count as done; a paused Rollout reports Suspended. */
  health: z.array(z.enum(['Healthy', 'Suspended', 'Progressing', 'Degraded'])).min(1).default(['Healthy', 'Suspended']),
  timeout: durationField({ min: 1000, max: DAY }).default(10 * MINUTE),
});

const rolloutRef = { name: objectName, namespace: dnsLabel.optional() };

const rollout = z
  .strictObject({
    ...rolloutRef,
    /** Wait until the Rollout is in this state (all that is given must hold). */
    waitFor: z
      .strictObject({
        phase: z.enum(['Healthy', 'Progressing', 'Paused', 'Degraded']).optional(),
        pausedReason: z.enum(['CanaryPauseStep', 'BlueGreenPause', 'InconclusiveAnalysisRun', 'AnalysisRunPaused', 'PausedByUser']).optional(),
        stepIndex: z.int().min(0).optional(),
        weight: z.int().min(0).max(100).optional(),
      })
      .optional(),
    action: z.enum(['promote', 'promoteFull', 'abort', 'retry', 'undo']).optional(),
    timeout: durationField({ min: 1000, max: DAY }).default(10 * MINUTE),
  })
  .refine((step) => step.waitFor !== undefined || step.action !== undefined, { message: 'expected waitFor, action or both' });

const verify = z.strictObject({
  rollout: objectName,
  namespace: dnsLabel.optional(),
  /** An AnalysisTemplate (or ClusterAnalysisTemplate) whose metric uses the rollouts-cv/verify provider. */
  template: z.strictObject({ name: objectName, clusterScope: z.boolean().default(false) }),
  args: z.array(z.strictObject({ name: z.string().min(1).max(253), value: text(4096) })).default([]),
  timeout: durationField({ min: 1000, max: DAY }).default(30 * MINUTE),
});

const approval = z.strictObject({
  message: text(2000),
  /** Slack users and user groups: a decider must be named here and allowed to approve by the bot's roles. */
  approvers: approversSchema.optional(),
  minApprovals: z.int().min(1).max(10).default(1),
  allowSelfApproval: z.boolean().default(false),
  timeout: durationField({ min: MINUTE, max: 7 * DAY }).default(DAY),
  onTimeout: z.enum(['approve', 'reject']).default('reject'),
});

/** The fields each Jira action needs, and the ones it does not read (most likely meant for the other action). */
const ISSUE_FIELDS = { create: { needs: ['project', 'summary'], ignores: ['key', 'comment'] }, comment: { needs: ['key', 'comment'], ignores: ['project', 'summary', 'description'] } } as const;
const issue = z
  .strictObject({
    jira: z.strictObject({ url: z.url({ protocol: /^https?$/ }), credentialsSecret: secretRef }),
    action: z.enum(['create', 'comment']),
    project: z.string().regex(/^[A-Z][A-Z0-9_]{1,254}$/, 'expected a Jira project key: uppercase letters, digits and "_", starting with a letter, e.g. "LOANS"').optional(),
    type: z.string().min(1).max(255).default('Story'),
    summary: text(255).optional(),
    description: text(32_000).optional(),
    /** The issue to comment on, e.g. ${{ steps.dev.tracking-issue.outputs.key }}. */
    key: text(255).optional(),
    comment: text(32_000).optional(),
  })
  .superRefine((value, ctx) => {
    const { needs, ignores } = ISSUE_FIELDS[value.action];
    for (const field of needs) if (value[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required with action ${value.action}` });
    for (const field of ignores) if (value[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is not used by action ${value.action} (only by ${value.action === 'create' ? 'comment' : 'create'})` });
  });

const webhook = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  method: z.enum(['POST', 'PUT']).default('POST'),
  body: text(65_536).optional(),
  headersSecret: secretRef.optional(),
  timeout: durationField({ min: 1000, max: 10 * MINUTE }).default(30_000),
});

const wait = z.strictObject({ duration: durationField({ min: 1000, max: 7 * DAY }) });

const STEP_TYPES = ['gitUpdate', 'gitRevert', 'sync', 'rollout', 'verify', 'approval', 'issue', 'webhook', 'wait'] as const;
export type StepType = (typeof STEP_TYPES)[number];

const interventionAction = z.enum(['rollback', 'ignore', 'abort']);
/** What happens when a step fails: at once, or after asking people (who may also retry) for up to `timeout`. */
const ACTIONS = 'rollback, ignore, abort or {manualIntervention: {timeout: 2h, onTimeout: rollback|ignore|abort}}';
const action = z.union(
  [interventionAction, z.strictObject({ manualIntervention: z.strictObject({ timeout: durationField({ min: MINUTE, max: 7 * DAY }).default(2 * 60 * MINUTE), onTimeout: interventionAction }) })],
  { error: `expected ${ACTIONS}` },
);
/** One action for any failure, or one for a failed verification and one for anything else (an unknown error). */
const failureStrategy = z.union([action, z.strictObject({ verificationFailed: action.optional(), error: action.optional() })], {
  error: `expected ${ACTIONS}, or {verificationFailed: <one of those>, error: <one of those>}`,
});

const stepFields = {
  name: dnsLabel,
  onFailure: failureStrategy.optional(),
  gitUpdate: gitUpdate.optional(),
  gitRevert: gitRevert.optional(),
  sync: sync.optional(),
  rollout: rollout.optional(),
  verify: verify.optional(),
  approval: approval.optional(),
  issue: issue.optional(),
  webhook: webhook.optional(),
  wait: wait.optional(),
};

const exactlyOneType = (value: Partial<Record<StepType, unknown>>, ctx: z.RefinementCtx) => {
  const types = STEP_TYPES.filter((type) => value[type] !== undefined);
  if (types.length !== 1) ctx.addIssue({ code: 'custom', message: `expected exactly one of ${STEP_TYPES.join(', ')}; got ${types.length ? types.join(', ') : 'none'}` });
};
const step = z.strictObject(stepFields).superRefine(exactlyOneType);

/** A step, or a `parallel` group of steps that run at once; the group finishes when all of them have. */
const entry = z.strictObject({ ...stepFields, parallel: z.array(step).min(2).max(10).optional() }).superRefine((value, ctx) => {
  if (value.parallel === undefined) return exactlyOneType(value, ctx);
  const extra = [...STEP_TYPES, 'onFailure' as const].filter((key) => value[key] !== undefined);
  if (extra.length) ctx.addIssue({ code: 'custom', message: `a parallel group has only a name and its steps; got ${extra.join(', ')} too` });
});

const stage = z.strictObject({
  name: dnsLabel,
  /** The operator's environment this stage deploys to: who may approve and intervene is decided there. */
  environment: dnsLabel.optional(),
  steps: z.array(entry).min(1).max(50),
  /** Run when the stage fails with the `rollback` strategy: e.g. abort the Rollout, revert the commit, sync. */
  rollback: z.array(step).max(20).default([]),
  onFailure: failureStrategy.optional(),
});

const variable = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/, 'expected a name of letters, digits, "_" and "-", starting with a letter, e.g. "image"'),
  description: z.string().max(1000).optional(),
  default: z.string().max(4096).optional(),
  required: z.boolean().default(false),
});

const pipelineSpec = z
  .strictObject({
    variables: z.array(variable).max(50).default([]),
    stages: z.array(stage).min(1).max(20),
  })
  .superRefine(checkNamesAndReferences);

export type PipelineSpec = z.output<typeof pipelineSpec>;
export type Stage = PipelineSpec['stages'][number];
export type StepSpec = Stage['rollback'][number];
export type StepEntry = Stage['steps'][number];
export type FailureStrategy = z.output<typeof failureStrategy>;

/** The steps of an entry: itself, or a parallel group's. */
export function stepsOf(entry: StepEntry): StepSpec[] {
  return entry.parallel ?? [entry];
}

export function stepType(step: StepSpec): StepType {
  return STEP_TYPES.find((type) => step[type] !== undefined)!;
}

/** The fields whose references are filled in (the rest is used as written: a URL, a path, a name). */
const TEMPLATED = new Set([
  'gitUpdate.files.*.set.*.value',
  'gitUpdate.message',
  'gitUpdate.pullRequest.title',
  'gitUpdate.pullRequest.body',
  'verify.args.*.value',
  'approval.message',
  'issue.summary',
  'issue.description',
  'issue.key',
  'issue.comment',
  'webhook.body',
]);
const fieldOf = (path: readonly (string | number)[]) => path.map((part) => (typeof part === 'number' ? '*' : part)).join('.');

/** Every text field of a step that holds "${{", with its path below the step. */
function templatedTexts(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; text: string }[] {
  if (typeof value === 'string') return value.includes('${{') ? [{ path, text: value }] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => templatedTexts(item, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => templatedTexts(item, [...path, key]));
  return [];
}

/**
 * Names unique where they are looked up (stages; steps within a stage, rollback steps included), a gitRevert that
 * names a gitUpdate of its stage, and references to declared variables and to outputs of steps that run before.
 */
function checkNamesAndReferences(spec: { variables: { name: string }[]; stages: z.output<typeof stage>[] }, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const variables = new Set<string>();
  spec.variables.forEach((v, i) => (variables.has(v.name) ? issue(['variables', i, 'name'], `"${v.name}" is declared twice`) : variables.add(v.name)));
  const stages = new Set<string>();
  /** Steps finished before the current one: stage → step names. */
  const before = new Map<string, Set<string>>();
  spec.stages.forEach((stageSpec, s) => {
    if (stages.has(stageSpec.name)) issue(['stages', s, 'name'], `stage "${stageSpec.name}" is named twice`);
    stages.add(stageSpec.name);
    const names = new Set<string>();
    const mine = new Set<string>();
    before.set(stageSpec.name, mine);
    const check = (stepSpec: StepSpec, path: (string | number)[], doneBefore: ReadonlySet<string>) => {
      if (names.has(stepSpec.name)) issue([...path, 'name'], `step "${stepSpec.name}" is named twice in stage "${stageSpec.name}"`);
      names.add(stepSpec.name);
      for (const { path: at, text } of templatedTexts(stepSpec)) {
        if (!TEMPLATED.has(fieldOf(at))) {
          issue([...path, ...at], `references are not filled in here (only in ${[...TEMPLATED].join(', ')})`);
          continue;
        }
        let found: Reference[];
        try {
          found = references(text);
        } catch (error) {
          if (!(error instanceof TemplateError)) throw error;
          issue([...path, ...at], error.message);
          continue;
        }
        for (const reference of found) {
          if (reference.kind === 'vars' && !variables.has(reference.name)) issue([...path, ...at], `"${reference.name}" is not a variable of this pipeline (variables: ${[...variables].join(', ') || 'none'})`);
          if (reference.kind === 'steps') {
            const earlier = reference.stage === stageSpec.name ? doneBefore : before.get(reference.stage);
            if (!earlier?.has(reference.step)) issue([...path, ...at], `step ${reference.stage}/${reference.step} does not run before this one`);
          }
        }
      }
    };
    stageSpec.steps.forEach((entrySpec, e) => {
      const done = new Set(mine);
      if (entrySpec.parallel) {
        if (names.has(entrySpec.name)) issue(['stages', s, 'steps', e, 'name'], `step "${entrySpec.name}" is named twice in stage "${stageSpec.name}"`);
        names.add(entrySpec.name);
        entrySpec.parallel.forEach((p, i) => check(p, ['stages', s, 'steps', e, 'parallel', i], done));
      } else check(entrySpec, ['stages', s, 'steps', e], done);
      for (const stepSpec of stepsOf(entrySpec)) mine.add(stepSpec.name);
    });
    const updates = new Set(stageSpec.steps.flatMap(stepsOf).filter((x) => x.gitUpdate).map((x) => x.name));
    stageSpec.rollback.forEach((stepSpec, r) => {
      check(stepSpec, ['stages', s, 'rollback', r], mine);
      if (stepSpec.gitRevert && !updates.has(stepSpec.gitRevert.step)) {
        issue(['stages', s, 'rollback', r, 'gitRevert', 'step'], `"${stepSpec.gitRevert.step}" is not a gitUpdate step of stage "${stageSpec.name}"`);
      }
    });
    stageSpec.steps.flatMap(stepsOf).forEach((stepSpec) => {
      if (stepSpec.gitRevert) issue(['stages', s, 'steps'], `step "${stepSpec.name}": gitRevert belongs in the stage's rollback steps`);
    });
  });
}

/** Parses a Pipeline's spec, or throws ConfigError with one "spec.<field>: <what is wrong>" per problem. */
export function parsePipelineSpec(raw: unknown): PipelineSpec {
  return parseConfig(pipelineSpec, raw, 'spec');
}

export { ConfigError };
