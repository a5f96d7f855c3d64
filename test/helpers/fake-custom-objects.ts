// An in-memory stand-in for the custom objects part of the Kubernetes API, for unit tests: it keeps
// resourceVersion, answers 404 and 409 like the API server, and can inject a concurrent write before the next
// status update to exercise conflict handling. The real API server is used in the end-to-end suite.
import { ApiException, type CustomObjectsApi } from '@kubernetes/client-node';

type KubeObject = { metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; creationTimestamp?: string; uid?: string }; status?: unknown };

export interface FakeCustomObjects {
  api: CustomObjectsApi;
  objects: Map<string, KubeObject>;
  /** Runs once, just before the next status replace is checked: a write that races the caller's. */
  raceNextStatusUpdate(write: (object: KubeObject) => void): void;
  /** Makes every call fail with this HTTP status until cleared. */
  failWith(code: number | undefined): void;
  calls: string[];
}

function apiError(code: number, reason: string, message: string): ApiException<string> {
  return new ApiException(code, `HTTP-Code: ${code}\nMessage: ${message}`, JSON.stringify({ kind: 'Status', status: 'Failure', reason, message, code }), {});
}

function matches(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return labels?.[key!] === value;
  });
}

export function fakeCustomObjects(): FakeCustomObjects {
  const objects = new Map<string, KubeObject>();
  const calls: string[] = [];
  let version = 100;
  let uid = 0;
  let race: ((object: KubeObject) => void) | undefined;
  let failure: number | undefined;
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const guard = (call: string) => {
    calls.push(call);
    if (failure) throw apiError(failure, 'InternalError', `injected failure ${failure}`);
  };

  const api = {
    async getNamespacedCustomObject({ namespace, name }: { namespace: string; name: string }) {
      guard(`get ${namespace}/${name}`);
      const found = objects.get(key(namespace, name));
      if (!found) throw apiError(404, 'NotFound', `approvalrequests "${name}" not found`);
      return copy(found);
    },
    async listNamespacedCustomObject({ namespace, labelSelector }: { namespace: string; labelSelector?: string }) {
      guard(`list ${namespace} ${labelSelector ?? ''}`.trim());
      return { items: [...objects.values()].filter((o) => o.metadata.namespace === namespace && matches(o.metadata.labels, labelSelector)).map(copy) };
    },
    async listClusterCustomObject({ labelSelector }: { labelSelector?: string }) {
      guard(`list * ${labelSelector ?? ''}`.trim());
      return { items: [...objects.values()].filter((o) => matches(o.metadata.labels, labelSelector)).map(copy) };
    },
    async createNamespacedCustomObject({ namespace, body }: { namespace: string; body: KubeObject }) {
      guard(`create ${namespace}/${body.metadata.name}`);
      if (objects.has(key(namespace, body.metadata.name))) throw apiError(409, 'AlreadyExists', `approvalrequests "${body.metadata.name}" already exists`);
      // Like the API server with a status subresource: status is dropped on create.
      const { status: _dropped, ...rest } = copy(body);
      const stored: KubeObject = {
        ...rest,
        metadata: { ...rest.metadata, namespace, resourceVersion: String(++version), uid: `uid-${++uid}`, creationTimestamp: new Date().toISOString() },
      };
      objects.set(key(namespace, body.metadata.name), stored);
      return copy(stored);
    },
    async replaceNamespacedCustomObjectStatus({ namespace, name, body }: { namespace: string; name: string; body: KubeObject }) {
      guard(`replaceStatus ${namespace}/${name}`);
      const current = objects.get(key(namespace, name));
      if (!current) throw apiError(404, 'NotFound', `approvalrequests "${name}" not found`);
      if (race) {
        const write = race;
        race = undefined;
        write(current);
        current.metadata.resourceVersion = String(++version);
      }
      if (body.metadata.resourceVersion !== current.metadata.resourceVersion) {
        throw apiError(409, 'Conflict', `Operation cannot be fulfilled on approvalrequests "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      // The status subresource changes only status.
      const stored = { ...current, status: copy(body.status), metadata: { ...current.metadata, resourceVersion: String(++version) } };
      objects.set(key(namespace, name), stored);
      return copy(stored);
    },
  };

  return {
    api: api as unknown as CustomObjectsApi,
    objects,
    calls,
    raceNextStatusUpdate: (write) => {
      race = write;
    },
    failWith: (code) => {
      failure = code;
    },
  };
}
