// LogTemplateFeedbacks in the Kubernetes API: where people's marks on log templates are kept and read. Writes are
// guarded by resourceVersion (a replace, a delete with its precondition), so a mark changed meanwhile by someone
// else is never overwritten or deleted unseen: the write fails and says so.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { describeApiError, isApiStatus } from '../kube/api-errors.js';
import { type FeedbackMark, FeedbackInputError, LOG_TEMPLATE_FEEDBACKS, type LogTemplateFeedback, ROLLOUT_LABEL, marksOf, rolloutProblem } from './feedback.js';

const { group, version, plural } = LOG_TEMPLATE_FEEDBACKS;

/** The part of the store the engine needs: a service's marks. */
export interface MarksReader {
  /**
   * The marks on `rollout`'s log templates in `namespace` (its environment), by template text; objects that are no
   * valid mark are left out and passed to `onIgnored`. Throws when they cannot be listed.
   */
  readMarks(namespace: string, rollout: string, onIgnored?: (ignored: string[]) => void): Promise<Map<string, FeedbackMark>>;
}

/** The mark was changed or removed by someone else since it was read: nothing was written. */
export class FeedbackConflictError extends Error {
  override name = 'FeedbackConflictError';
}

export class LogTemplateFeedbackStore implements MarksReader {
  constructor(private readonly api: CustomObjectsApi) {}

  async get(namespace: string, name: string): Promise<LogTemplateFeedback | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ group, version, plural, namespace, name })) as LogTemplateFeedback;
    } catch (error) {
      if (isApiStatus(error, 404)) return undefined;
      throw describe(error, `get ${plural} ${namespace}/${name}`);
    }
  }

  /** Every object labelled as `rollout`'s mark in `namespace`; throws FeedbackInputError for a name that is no Rollout's. */
  async list(namespace: string, rollout: string): Promise<LogTemplateFeedback[]> {
    // Checked before it goes into the selector: "web,x" would select more than one service's marks.
    const problem = rolloutProblem(rollout);
    if (problem) throw new FeedbackInputError(problem);
    try {
      const list = (await this.api.listNamespacedCustomObject({ group, version, plural, namespace, labelSelector: `${ROLLOUT_LABEL}=${rollout}` })) as { items?: LogTemplateFeedback[] };
      return list.items ?? [];
    } catch (error) {
      throw describe(error, `list ${plural} of rollout ${rollout} in ${namespace}`);
    }
  }

  async readMarks(namespace: string, rollout: string, onIgnored?: (ignored: string[]) => void): Promise<Map<string, FeedbackMark>> {
    const { marks, ignored } = marksOf(await this.list(namespace, rollout), rollout);
    if (ignored.length) onIgnored?.(ignored);
    return marks;
  }

  /** Creates the mark; FeedbackConflictError when one of that name was made meanwhile. */
  async create(feedback: LogTemplateFeedback): Promise<LogTemplateFeedback> {
    const { namespace, name } = feedback.metadata;
    try {
      return (await this.api.createNamespacedCustomObject({ group, version, plural, namespace, body: feedback })) as LogTemplateFeedback;
    } catch (error) {
      if (isApiStatus(error, 409)) throw new FeedbackConflictError(`someone else marked this template meanwhile (${plural} ${namespace}/${name} exists now); nothing was changed`);
      throw describe(error, `create ${plural} ${namespace}/${name}`);
    }
  }

  /** Replaces the mark read at `feedback.metadata.resourceVersion`; FeedbackConflictError when it changed since. */
  async replace(feedback: LogTemplateFeedback): Promise<LogTemplateFeedback> {
    const { namespace, name } = feedback.metadata;
    try {
      return (await this.api.replaceNamespacedCustomObject({ group, version, plural, namespace, name, body: feedback })) as LogTemplateFeedback;
    } catch (error) {
      if (isApiStatus(error, 409) || isApiStatus(error, 404)) throw new FeedbackConflictError(`someone else changed or removed this mark meanwhile (${plural} ${namespace}/${name}); nothing was changed`);
      throw describe(error, `update ${plural} ${namespace}/${name}`);
    }
  }

  /** Deletes the mark as it was read (its resourceVersion); false when it was gone already, FeedbackConflictError when it changed. */
  async delete(feedback: LogTemplateFeedback): Promise<boolean> {
    const { namespace, name, resourceVersion } = feedback.metadata;
    try {
      await this.api.deleteNamespacedCustomObject({ group, version, plural, namespace, name, body: { preconditions: { resourceVersion } } });
      return true;
    } catch (error) {
      if (isApiStatus(error, 404)) return false;
      if (isApiStatus(error, 409)) throw new FeedbackConflictError(`someone else changed this mark meanwhile (${plural} ${namespace}/${name}); nothing was removed`);
      throw describe(error, `delete ${plural} ${namespace}/${name}`);
    }
  }
}

/** An API failure as an Error that says what was attempted and the API server's own message. */
function describe(error: unknown, what: string): Error {
  return new Error(`cannot ${what}: ${describeApiError(error)}`);
}
