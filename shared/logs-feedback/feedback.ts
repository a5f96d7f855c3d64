// LogTemplateFeedback (rollouts-cv.io/v1alpha1): a person's mark on one log template of one service — "not a risk"
// (a finding of it never counts against a canary) or "raise risk" (any canary line of it is a risk). The service is
// a Rollout in its namespace, and one namespace is one environment (as the bot's configuration maps namespaces to
// environments), so a mark made in staging does not apply in production. These pure functions are the only place
// the rules live: what a valid rollout name, template and comment are, the object's name (one per template and
// service, so that marking again updates the mark), and which stored marks apply.
import { createHash } from 'node:crypto';
import { MAX_TEMPLATE_CHARS } from '../verdicts/summary.js';

export const LOG_TEMPLATE_FEEDBACKS = { group: 'rollouts-cv.io', version: 'v1alpha1', plural: 'logtemplatefeedbacks', kind: 'LogTemplateFeedback' } as const;
export const FEEDBACK_API_VERSION = `${LOG_TEMPLATE_FEEDBACKS.group}/${LOG_TEMPLATE_FEEDBACKS.version}`;

/** The label that finds a service's marks: its value is the Rollout's name. */
export const ROLLOUT_LABEL = 'rollouts-cv.io/rollout';

export const FEEDBACK_MARKS = ['not-a-risk', 'raise-risk'] as const;
export type FeedbackMark = (typeof FEEDBACK_MARKS)[number];

export const MAX_COMMENT_CHARS = 500;
/** The CRD's bound for markedBy, as for an ApprovalRequest's deciders. */
export const MAX_USER_CHARS = 253;

export interface LogTemplateFeedbackSpec {
  rollout: string;
  template: string;
  mark: FeedbackMark;
  /** A Slack user ID, or a Kubernetes user name. */
  markedBy: string;
  markedAt: string;
  comment?: string;
}

export interface LogTemplateFeedback {
  apiVersion: typeof FEEDBACK_API_VERSION;
  kind: typeof LOG_TEMPLATE_FEEDBACKS.kind;
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec: LogTemplateFeedbackSpec;
}

/** Input that cannot be a mark; the message names each field and the form expected. */
export class FeedbackInputError extends Error {
  override name = 'FeedbackInputError';
}

// A Kubernetes object name (DNS subdomain), short enough to be the label's value (at most 63 characters).
const ROLLOUT_NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
// Control characters, line and paragraph separators, bidirectional overrides: a template is one line as the miner
// makes it, and must read the same in Slack and a terminal as it is stored.
const NOT_IN_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

// With the u flag a surrogate pair is one code point: only a lone surrogate is in category Cs.
const LONE_SURROGATE = /\p{Cs}/u;

const got = (value: unknown) => JSON.stringify(typeof value === 'string' && value.length > 64 ? `${value.slice(0, 64)}…` : value) ?? String(value);

/** Why `name` is not a Rollout name marks can be stored for, or undefined. */
export function rolloutProblem(name: unknown): string | undefined {
  if (typeof name === 'string' && ROLLOUT_NAME.test(name)) return undefined;
  return `rollout: expected the name of a Rollout (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 63 characters), got ${got(name)}`;
}

function lineProblem(field: string, text: unknown, max: number, what: string): string | undefined {
  if (typeof text !== 'string') return `${field}: expected ${what} as text, got ${got(text)}`;
  if (NOT_IN_ONE_LINE.test(text)) return `${field}: expected one line of text without control characters (newlines, tabs) or bidirectional overrides, got ${got(text)}`;
  if (LONE_SURROGATE.test(text)) return `${field}: expected well-formed Unicode text, got a lone surrogate in ${got(text)}`;
  if (text.length > max) return `${field}: expected at most ${max} characters, got ${text.length}`;
  return undefined;
}

/**
 * A template as marks store it: words separated by single spaces, as the miner writes templates (it splits lines at
 * any run of whitespace), so the same template typed or pasted differently is the same mark.
 */
export function normaliseTemplate(template: string): string {
  return template.trim().split(/\s+/).join(' ');
}

/** Why `template` (once normalised) cannot be marked, or undefined. */
export function templateProblem(template: unknown): string | undefined {
  const what = `a log template as \`rollouts-cv logs templates\` or the verdict shows it, e.g. "ERROR payment <NUM> failed: <STR>"`;
  const problem = lineProblem('template', template, Infinity, what);
  if (problem) return problem;
  const normal = normaliseTemplate(template as string);
  if (normal === '') return `template: expected ${what}, got a blank one`;
  if (normal.length > MAX_TEMPLATE_CHARS) return `template: expected at most ${MAX_TEMPLATE_CHARS} characters, got ${normal.length}`;
  return undefined;
}

export function commentProblem(comment: unknown): string | undefined {
  return comment === undefined ? undefined : lineProblem('comment', comment, MAX_COMMENT_CHARS, 'a comment');
}

export function markProblem(mark: unknown): string | undefined {
  return FEEDBACK_MARKS.includes(mark as FeedbackMark) ? undefined : `mark: expected ${FEEDBACK_MARKS.join(' or ')}, got ${got(mark)}`;
}

/** `<rollout>-<16 hex of sha256(template)>`: one object per template and service, whoever marks it. */
export function feedbackName(rollout: string, template: string): string {
  return `${rollout}-${createHash('sha256').update(template).digest('hex').slice(0, 16)}`;
}

/** Which template of which service: validated, the template normalised, and the object's name. */
export interface FeedbackTarget {
  namespace: string;
  rollout: string;
  template: string;
  name: string;
}

/** The target of a mark; throws FeedbackInputError naming every field that is wrong. */
export function feedbackTarget(namespace: string, rollout: unknown, template: unknown): FeedbackTarget {
  const problems = [rolloutProblem(rollout), templateProblem(template)].filter((p): p is string => p !== undefined);
  if (problems.length) throw new FeedbackInputError(problems.join('; '));
  const normal = normaliseTemplate(template as string);
  return { namespace, rollout: rollout as string, template: normal, name: feedbackName(rollout as string, normal) };
}

/** The mark people are offered for a finding: "not a risk" for one found a risk, "raise risk" for one found none. */
export function offeredMark(risk: boolean): FeedbackMark {
  return risk ? 'not-a-risk' : 'raise-risk';
}

/** "not a risk" or "a risk", as people read a mark. */
export function describeMark(mark: FeedbackMark): string {
  return mark === 'not-a-risk' ? 'not a risk' : 'a risk';
}

export function newFeedback(target: FeedbackTarget, fields: Pick<LogTemplateFeedbackSpec, 'mark' | 'markedBy' | 'markedAt' | 'comment'>): LogTemplateFeedback {
  const { namespace, rollout, template, name } = target;
  return {
    apiVersion: FEEDBACK_API_VERSION,
    kind: LOG_TEMPLATE_FEEDBACKS.kind,
    metadata: { name, namespace, labels: { [ROLLOUT_LABEL]: rollout } },
    spec: {
      rollout,
      template,
      mark: fields.mark,
      markedBy: fields.markedBy.length > MAX_USER_CHARS ? `${fields.markedBy.slice(0, MAX_USER_CHARS - 1)}…` : fields.markedBy,
      markedAt: fields.markedAt,
      ...(fields.comment !== undefined && fields.comment !== '' && { comment: fields.comment }),
    },
  };
}

/** Why a stored object is no mark of `rollout` (a hand-made object, an older or looser CRD), or undefined. */
function storedProblem(item: LogTemplateFeedback, rollout: string): string | undefined {
  const spec = (item as { spec?: Partial<LogTemplateFeedbackSpec> }).spec ?? {};
  if (spec.rollout !== rollout) return `spec.rollout is ${got(spec.rollout)}, not ${got(rollout)} as its ${ROLLOUT_LABEL} label says`;
  const problem = markProblem(spec.mark) ?? templateProblem(spec.template);
  if (problem) return `spec.${problem}`;
  if (normaliseTemplate(spec.template!) !== spec.template) return 'spec.template: not in the normal form marks are stored in (single spaces between words)';
  return undefined;
}

/** Stored objects sorted out: the valid marks of one service, and why the others are left out. */
export interface SortedMarks {
  valid: LogTemplateFeedback[];
  /** Objects that are no valid mark of the service, each with why. */
  ignored: string[];
}

export function sortMarks(items: readonly LogTemplateFeedback[], rollout: string): SortedMarks {
  const valid: LogTemplateFeedback[] = [];
  const ignored: string[] = [];
  for (const item of items) {
    const problem = storedProblem(item, rollout);
    if (problem) ignored.push(`${LOG_TEMPLATE_FEEDBACKS.kind} ${item.metadata?.namespace}/${item.metadata?.name}: ${problem}`);
    else valid.push(item);
  }
  return { valid, ignored };
}

export interface Marks {
  /** By template text, as the log judge takes them (plugin/verify/logs.ts matches them to a verification's templates). */
  marks: Map<string, FeedbackMark>;
  ignored: string[];
}

/**
 * The marks of `rollout` among stored objects. Two objects marking one template differently (made by hand beside
 * the one rollouts-cv names) leave it marked a risk: a mark that cannot be trusted never relaxes the judge.
 */
export function marksOf(items: readonly LogTemplateFeedback[], rollout: string): Marks {
  const { valid, ignored } = sortMarks(items, rollout);
  const marks = new Map<string, FeedbackMark>();
  for (const { spec } of valid) marks.set(spec.template, marks.get(spec.template) === 'raise-risk' ? 'raise-risk' : spec.mark);
  return { marks, ignored };
}
