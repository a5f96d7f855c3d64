// The operations people and pipelines do on a Rollout, as data: how each reads in a question or an audit message,
// and the one switch that sends it (shared/kube/rollout-actions.ts). Every pod template written here (deploy, undo)
// names who it is attributed to in the same write, for the approval gates' self-approval ban (approvals/deployer.ts).
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { deployedBy } from '../approvals/deployer.js';
import { DEPLOYED_BY_ANNOTATION } from '../approvals/request.js';
import * as actions from '../kube/rollout-actions.js';
import { RolloutActionError, type RolloutRef } from '../kube/rollout-actions.js';

export type RolloutOperation =
  | { name: 'promote'; full?: boolean }
  | { name: 'abort' | 'retry' | 'pause' | 'resume' | 'restart' }
  | { name: 'undo'; toRevision?: number }
  /** `set image`: `<container>=<image>` assignments. */
  | { name: 'deploy'; images: string[] };

const OPERATION_NAMES: readonly RolloutOperation['name'][] = ['promote', 'abort', 'retry', 'pause', 'resume', 'restart', 'undo', 'deploy'];

export interface OperationOptions {
  /**
   * The Slack user ID the pod template written by `deploy` or `undo` is attributed to (the deployed-by annotation).
   * Without one, the template is written unattributed and the gates name no deployer for it.
   */
  deployer?: string;
}

/** "promote rollout shop/web", as in "Promote rollout shop/web?" or "… failed: …". */
export function describeOperation(operation: RolloutOperation, ref: RolloutRef): string {
  const rollout = `rollout ${ref.namespace}/${ref.name}`;
  switch (operation.name) {
    case 'promote':
      return `${operation.full ? 'fully promote' : 'promote'} ${rollout}`;
    case 'undo':
      return `roll back ${rollout} to ${operation.toRevision ? `revision ${operation.toRevision}` : 'the previous revision'}`;
    case 'deploy':
      return `deploy ${operation.images.join(', ')} to ${rollout}`;
    default:
      return `${operation.name} ${rollout}`;
  }
}

/** Sends the operation through `api` (whose identity the API server authorises); resolves to what was done. */
export async function applyOperation(api: CustomObjectsApi, ref: RolloutRef, operation: RolloutOperation, options: OperationOptions = {}): Promise<string> {
  const { deployer } = options;
  const annotate = deployer === undefined ? undefined : (template: unknown) => ({ [DEPLOYED_BY_ANNOTATION]: deployedBy(deployer, template) });
  switch (operation.name) {
    case 'promote':
      return actions.promote(api, ref, { full: operation.full });
    case 'abort':
      return actions.abort(api, ref);
    case 'retry':
      return actions.retry(api, ref);
    case 'pause':
      return actions.pause(api, ref);
    case 'resume':
      return actions.resume(api, ref);
    case 'restart':
      return actions.restart(api, ref);
    case 'undo':
      return actions.undo(api, ref, { toRevision: operation.toRevision, annotate });
    case 'deploy':
      return actions.setImage(api, ref, operation.images, { annotate });
    default:
      // only from input that bypassed the type (parsed JSON): refused, never reported as done
      throw new RolloutActionError('Invalid', `operation.name: got ${JSON.stringify((operation as { name: unknown }).name)}; expected one of ${OPERATION_NAMES.join(', ')}`);
  }
}
