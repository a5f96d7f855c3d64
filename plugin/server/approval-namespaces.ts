// The namespaces approval gates may create ApprovalRequests in (--approval-namespaces). A call names the Rollout,
// and so the namespace the request goes to: the engine, not the caller, decides where it writes.
import type { ApprovalRequestStore } from '../../shared/approvals/store.js';
import type { ApprovalRequest } from '../../shared/approvals/request.js';
import { StepRpcError } from '../verify/types.js';

/** Refused unless listed: no application Rollout lives there, and a request there could only be forged. */
const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];
const WHERE_SET = "the engine's --approval-namespaces, chart value engine.rbac.namespaces";

/** Why approval gates may not write in `namespace`, or undefined. `allowed` undefined: all but the system namespaces. Pure. */
export function approvalNamespaceRefusal(namespace: string | undefined, allowed: readonly string[] | undefined): string | undefined {
  // gates only ever work in their Rollout's namespace: a request across all namespaces is not theirs
  if (namespace === undefined) return 'approval gates may not read ApprovalRequests across namespaces';
  const what = `approval gates may not create ApprovalRequests in namespace ${namespace}`;
  if (allowed) return allowed.includes(namespace) ? undefined : `${what} (allowed: ${allowed.join(', ')}; ${WHERE_SET})`;
  if (SYSTEM_NAMESPACES.includes(namespace)) return `${what}: a Kubernetes system namespace is refused unless listed (${WHERE_SET})`;
  return undefined;
}

/**
 * The store approval gates use, refusing a namespace they may not touch before any API request. Every method of
 * the store names the namespace first (create: in the request's metadata); a method that does not is refused, so
 * a new one cannot slip past the check.
 */
export function restrictNamespaces(store: ApprovalRequestStore, allowed: readonly string[] | undefined): ApprovalRequestStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const refusal = approvalNamespaceRefusal(namespaceArgument(property, args), allowed);
        return refusal ? Promise.reject(new StepRpcError(refusal)) : (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function namespaceArgument(method: string | symbol, args: unknown[]): string | undefined {
  const first = method === 'create' ? (args[0] as ApprovalRequest | undefined)?.metadata?.namespace : args[0];
  return typeof first === 'string' ? first : undefined;
}
