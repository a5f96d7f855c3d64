// ApprovalRequests in the Kubernetes API: the only shared state between the step plugin and the bot replicas.
// Every status change is a read-modify-write guarded by resourceVersion, so two writers (a click on two bot
// replicas, a click racing an expiry) cannot both win: the loser re-reads and re-decides on the new state.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { describeApiError, isApiStatus } from '../kube/api-errors.js';
import { APPROVAL_REQUESTS, type ApprovalRequest, type ApprovalRequestStatus, type Decision, type DecisionResult, type EffectivePolicy, applyDecision, pendingStatus } from './request.js';

const { group, version, plural } = APPROVAL_REQUESTS;
const MAX_CONFLICTS = 5;

export interface StatusUpdate<T> {
  request: ApprovalRequest;
  /** What the change function returned alongside the status (e.g. the decision result). */
  result: T;
  changed: boolean;
}

export class ApprovalRequestStore {
  constructor(private readonly api: CustomObjectsApi) {}

  async get(namespace: string, name: string): Promise<ApprovalRequest | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ group, version, plural, namespace, name })) as ApprovalRequest;
    } catch (error) {
      if (isApiStatus(error, 404)) return undefined;
      throw describe(error, `get ${plural} ${namespace}/${name}`);
    }
  }

  /** Requests in a namespace (all namespaces when undefined) matching a label selector. */
  async list(namespace: string | undefined, labelSelector?: string): Promise<ApprovalRequest[]> {
    try {
      const list = (namespace
        ? await this.api.listNamespacedCustomObject({ group, version, plural, namespace, labelSelector })
        : await this.api.listClusterCustomObject({ group, version, plural, labelSelector })) as { items: ApprovalRequest[] };
      return list.items;
    } catch (error) {
      throw describe(error, `list ${plural}${namespace ? ` in ${namespace}` : ''}`);
    }
  }

  /** Creates the request with a Pending status; undefined when the name is taken. */
  async create(request: ApprovalRequest): Promise<ApprovalRequest | undefined> {
    const { namespace, name } = request.metadata;
    let created: ApprovalRequest;
    try {
      created = (await this.api.createNamespacedCustomObject({ group, version, plural, namespace, body: request })) as ApprovalRequest;
    } catch (error) {
      if (isApiStatus(error, 409)) return undefined;
      throw describe(error, `create ${plural} ${namespace}/${name}`);
    }
    // The status subresource ignores status on create; write it so `kubectl get` shows the state at once.
    const written = await this.updateStatus(namespace, name, (current) => ({ status: current.status?.state ? undefined : pendingStatus(current.spec), result: undefined }));
    return written?.request ?? created;
  }

  /**
   * Changes the status with `change`, which sees the latest object and returns the new status (none for no change)
   * and a result for the caller. Retried on conflict with a fresh read; undefined if the request is gone.
   */
  async updateStatus<T>(
    namespace: string,
    name: string,
    change: (current: ApprovalRequest) => { status?: ApprovalRequestStatus; result: T },
  ): Promise<StatusUpdate<T> | undefined> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(namespace, name);
      if (!current) return undefined;
      const next = change(current);
      if (!next.status) return { request: current, result: next.result, changed: false };
      try {
        const body = { ...current, status: next.status };
        const request = (await this.api.replaceNamespacedCustomObjectStatus({ group, version, plural, namespace, name, body })) as ApprovalRequest;
        return { request, result: next.result, changed: true };
      } catch (error) {
        if (isApiStatus(error, 409) && attempt < MAX_CONFLICTS) continue;
        throw describe(error, `update the status of ${plural} ${namespace}/${name}`);
      }
    }
  }

  /**
   * Records a person's decision (see applyDecision). `refusal` and `policy` may be decided once beforehand: the
   * spec, which they depend on, never changes.
   */
  async decide(namespace: string, name: string, decision: Decision, now: Date, refusal: string | undefined, policy: EffectivePolicy): Promise<StatusUpdate<DecisionResult> | undefined> {
    return this.updateStatus(namespace, name, (current) => {
      const result = applyDecision(current, decision, now, refusal, policy);
      return { status: result.kind === 'applied' ? result.status : undefined, result };
    });
  }
}

/** An API failure as an Error that says what was attempted and the API server's own message. */
function describe(error: unknown, what: string): Error {
  return new Error(`cannot ${what}: ${describeApiError(error)}`);
}
