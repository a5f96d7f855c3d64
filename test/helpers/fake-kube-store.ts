// The state behind the fake Kubernetes API (test/helpers/fake-kube-api.ts): objects kept in memory and served
// generically by URL, with the API server's semantics for what the bot and the approval gate use — list (label
// selector equality and existence terms, field selector equality on any field such as `involvedObject.name`), watch
// (from a resourceVersion, `410 Gone` once it is compacted away, `timeoutSeconds`), get, create (name or
// generateName), PUT with the resourceVersion check, the `/status` subresource, merge patch (RFC 7386) and JSON
// patch (RFC 6902), DELETE with its preconditions, resourceVersion, uid, creationTimestamp and generation, and the
// API server's Status errors; and SelfSubjectReview, answered with the user whose bearer token the request
// carries (`users`). Hooks let a test answer instead (an injected failure) or write first (a concurrent writer).
//
//   const store = objectStore();
//   const server = await startFakeKubeApi(store.respond);
import { randomUUID } from 'node:crypto';
import { type FakeResponse, type RecordedRequest, type Responder, status } from './fake-kube-api.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    generateName?: string;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  status?: unknown;
  [key: string]: unknown;
}

/** A kind of object: its API group ('' for core/v1) and plural, as in the URL. */
export interface Resource {
  group?: string;
  plural: string;
}

export interface ObjectRef extends Resource {
  namespace?: string;
  name: string;
}

/** Runs before a request is handled; a response answers it instead, undefined lets it through. */
export type Hook = (request: RecordedRequest) => FakeResponse | undefined;

/** A user as the API server knows them, by the bearer token they send. */
export interface UserInfo {
  username: string;
  groups?: string[];
}

export interface ObjectStore {
  /** The responder to give startFakeKubeApi. */
  respond: Responder;
  /** A copy of the object, or undefined. */
  get(ref: ObjectRef): KubeObject | undefined;
  /** Copies of the objects of a kind, sorted by namespace and name like the API server's lists. */
  list(resource: Resource): KubeObject[];
  /** Stores an object as given, status included (what a controller would have written); fills in the metadata the API server sets. */
  seed(resource: Resource, object: KubeObject): KubeObject;
  /** A write by someone else: changes the stored object in place and gives it a new resourceVersion. */
  modify(ref: ObjectRef, change: (object: KubeObject) => void): KubeObject;
  delete(ref: ObjectRef): boolean;
  /** Runs `hook` before every request until the returned function is called. */
  intercept(hook: Hook): () => void;
  /** Runs `action` once, just before the next request matching `match` is handled (e.g. a racing write). */
  once(match: (request: RecordedRequest) => boolean, action: Hook): void;
  /** Ends every open watch, as a dropped connection or the server's timeout would. */
  dropWatches(): void;
  /** Forgets the events so far: a watch from an earlier resourceVersion gets `410 Gone` (the client must list again). */
  compact(): void;
  /** Watches open now. */
  readonly openWatches: number;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
interface WatchEvent {
  type: EventType;
  object: KubeObject;
  revision: number;
}
interface Watcher {
  kind: string;
  accepts: (object: KubeObject) => boolean;
  send: (event: object) => void;
  end: () => void;
}
/** Events kept per kind for watches that resume from a resourceVersion. */
const HISTORY = 10_000;

/** Kinds with a status subresource (status ignored on create and on PUT/PATCH of the object) and a generation. */
const WITH_STATUS: ReadonlySet<string> = new Set(['rollouts-cv.io/approvalrequests', 'rollouts-cv.io/pipelineruns', 'argoproj.io/rollouts', 'apps/deployments', 'apps/replicasets']);

const MERGE_PATCH = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

interface Target {
  resource: Resource;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** `/api/v1/…` and `/apis/<group>/<version>/…`: `[namespaces/<ns>/]<plural>[/<name>[/<subresource>]]`. */
function parsePath(path: string): Target | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 3) [group, rest] = [parts[1]!, parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (!plural || extra.length > 0) return undefined;
  return { resource: { group, plural }, namespace, name, subresource };
}

const kindKey = (resource: Resource) => `${resource.group ?? ''}/${resource.plural}`;
/** What the API server's messages call a kind: `events`, `approvalrequests.rollouts-cv.io`. */
const qualified = (resource: Resource) => (resource.group ? `${resource.plural}.${resource.group}` : resource.plural);
const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/** A Status answer, e.g. for an `intercept` hook injecting a failure. */
export function failure(code: number, reason: string, message: string): FakeResponse {
  return { status: code, body: status(code, reason, message) };
}
const notFound = (resource: Resource, name: string) => failure(404, 'NotFound', `${qualified(resource)} "${name}" not found`);
const conflict = (resource: Resource, name: string) =>
  failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`);

/** An error the handler answers with a Status. */
class StatusError extends Error {
  constructor(readonly response: FakeResponse) {
    super(String((response.body as { message?: string }).message));
  }
}

/** `users`: bearer token → user, for SelfSubjectReview. */
export function objectStore(options: { users?: Record<string, UserInfo> } = {}): ObjectStore {
  const kinds = new Map<string, Map<string, KubeObject>>();
  const hooks = new Set<Hook>();
  let revision = 1000;
  const nextVersion = () => String(++revision);
  const history = new Map<string, WatchEvent[]>();
  /** Per kind, the newest revision whose events are forgotten. */
  const compacted = new Map<string, number>();
  const watchers = new Set<Watcher>();
  const emit = (resource: Resource, type: EventType, object: KubeObject) => {
    const kind = kindKey(resource);
    const log = history.get(kind) ?? [];
    history.set(kind, log);
    log.push({ type, object: structuredClone(object), revision: Number(object.metadata.resourceVersion) });
    if (log.length > HISTORY) compacted.set(kind, log.splice(0, log.length - HISTORY).at(-1)!.revision);
    for (const watcher of watchers) if (watcher.kind === kind && watcher.accepts(object)) watcher.send({ type, object: structuredClone(object) });
  };
  const objectsOf = (resource: Resource) => {
    let objects = kinds.get(kindKey(resource));
    if (!objects) kinds.set(kindKey(resource), (objects = new Map()));
    return objects;
  };
  const hasStatus = (resource: Resource) => WITH_STATUS.has(kindKey(resource));

  /** Stores `next` over `current`: a new resourceVersion, and a new generation when more than metadata and status changed. */
  const commit = (resource: Resource, current: KubeObject, next: KubeObject): KubeObject => {
    const { metadata: _m, status: _s, ...before } = current;
    const { metadata: _n, status: _t, ...after } = next;
    const generation = current.metadata.generation;
    const stored: KubeObject = {
      ...next,
      metadata: {
        ...next.metadata,
        name: current.metadata.name,
        namespace: current.metadata.namespace,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        resourceVersion: nextVersion(),
        ...(generation !== undefined && { generation: JSON.stringify(before) === JSON.stringify(after) ? generation : generation + 1 }),
      },
    };
    if (stored.metadata.generation === undefined) delete stored.metadata.generation;
    objectsOf(resource).set(objectKey(current.metadata.namespace, current.metadata.name), stored);
    emit(resource, 'MODIFIED', stored);
    return structuredClone(stored);
  };

  const create = (resource: Resource, namespace: string | undefined, body: KubeObject, keepStatus: boolean): KubeObject => {
    const objects = objectsOf(resource);
    const name = body.metadata?.name || (body.metadata?.generateName ? `${body.metadata.generateName}${randomSuffix()}` : '');
    if (!name) throw new StatusError(failure(422, 'Invalid', `${qualified(resource)} "" is invalid: metadata.name: Required value: name or generateName is required`));
    if (objects.has(objectKey(namespace, name))) throw new StatusError(failure(409, 'AlreadyExists', `${qualified(resource)} "${name}" already exists`));
    const object = structuredClone(body);
    if (!keepStatus && hasStatus(resource)) delete object.status;
    object.metadata = {
      ...object.metadata,
      name,
      ...(namespace !== undefined && { namespace }),
      uid: object.metadata.uid ?? randomUUID(),
      resourceVersion: nextVersion(),
      creationTimestamp: object.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      ...(hasStatus(resource) && { generation: object.metadata.generation ?? 1 }),
    };
    objects.set(objectKey(namespace, name), object);
    emit(resource, 'ADDED', object);
    return structuredClone(object);
  };

  const remove = (resource: Resource, current: KubeObject) => {
    objectsOf(resource).delete(objectKey(current.metadata.namespace, current.metadata.name));
    emit(resource, 'DELETED', { ...current, metadata: { ...current.metadata, resourceVersion: nextVersion() } });
  };

  /** A watch of a kind, as the API server serves `?watch=true` on a list URL. */
  const watch = (resource: Resource, namespace: string | undefined, query: URLSearchParams): FakeResponse => {
    const kind = kindKey(resource);
    const accepts = (o: KubeObject) =>
      (namespace === undefined || o.metadata.namespace === namespace) &&
      selects(query.get('labelSelector'), (key) => o.metadata.labels?.[key]) &&
      selects(query.get('fieldSelector'), (path) => fieldOf(o, path));
    const from = query.get('resourceVersion');
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
    return {
      watch(send, end) {
        let initial: object[];
        if (!from || from === '0') initial = [...objectsOf(resource).values()].filter(accepts).map((object) => ({ type: 'ADDED', object: structuredClone(object) }));
        else if (Number(from) < (compacted.get(kind) ?? 0)) {
          send({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${compacted.get(kind)})`) });
          end();
          return () => undefined;
        } else initial = (history.get(kind) ?? []).filter((e) => e.revision > Number(from) && accepts(e.object)).map(({ type, object }) => ({ type, object: structuredClone(object) }));
        for (const event of initial) send(event);
        const watcher: Watcher = { kind, accepts, send, end };
        watchers.add(watcher);
        const timer = timeoutSeconds > 0 ? setTimeout(end, timeoutSeconds * 1000) : undefined;
        return () => {
          clearTimeout(timer);
          watchers.delete(watcher);
        };
      },
    };
  };

  /** The object a write produces from `patched`, keeping what the (sub)resource written may not change. */
  const update = (target: Target & { name: string }, current: KubeObject, patched: KubeObject): KubeObject => {
    const sent = patched.metadata?.resourceVersion;
    if (sent && sent !== current.metadata.resourceVersion) throw new StatusError(conflict(target.resource, target.name));
    if (target.subresource === 'status') return commit(target.resource, current, { ...current, status: patched.status });
    const next: KubeObject = { ...patched, metadata: { ...patched.metadata } };
    if (hasStatus(target.resource)) {
      if (current.status === undefined) delete next.status;
      else next.status = current.status;
    }
    return commit(target.resource, current, next);
  };

  const handle = (request: RecordedRequest): FakeResponse | undefined => {
    if (request.method === 'POST' && request.path === '/apis/authentication.k8s.io/v1/selfsubjectreviews') return selfSubjectReview(request, options.users ?? {});
    const target = parsePath(request.path);
    if (!target || (target.subresource !== undefined && target.subresource !== 'status')) return undefined;
    const { resource, namespace, name } = target;
    const objects = objectsOf(resource);
    if (!name) {
      if (request.method === 'GET' && request.query.get('watch') === 'true') return watch(resource, namespace, request.query);
      if (request.method === 'GET') {
        const items = [...objects.values()]
          .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
          .filter((o) => selects(request.query.get('labelSelector'), (key) => o.metadata.labels?.[key]))
          .filter((o) => selects(request.query.get('fieldSelector'), (path) => fieldOf(o, path)))
          .sort((a, b) => objectKey(a.metadata.namespace, a.metadata.name).localeCompare(objectKey(b.metadata.namespace, b.metadata.name)));
        return { body: { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(revision) }, items: items.map((o) => structuredClone(o)) } };
      }
      if (request.method === 'POST') return { status: 201, body: create(resource, namespace, request.body as KubeObject, false) };
      return failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
    const current = objects.get(objectKey(namespace, name));
    if (!current) return notFound(resource, name);
    const named = { ...target, name };
    switch (request.method) {
      case 'GET':
        return { body: structuredClone(current) };
      case 'PUT':
        return { body: update(named, current, request.body as KubeObject) };
      case 'PATCH': {
        const type = request.contentType?.split(';')[0]?.trim();
        let patched: KubeObject;
        if (type === MERGE_PATCH) patched = mergePatch(structuredClone(current), request.body) as KubeObject;
        else if (type === JSON_PATCH) patched = jsonPatch(structuredClone(current), request.body as JsonPatchOp[]) as KubeObject;
        else {
          return failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${JSON_PATCH}, ${MERGE_PATCH}, application/apply-patch+yaml`);
        }
        return { body: update(named, current, patched) };
      }
      case 'DELETE': {
        // DeleteOptions' preconditions, as the API server checks them; no finalizers here, so it is gone at once.
        const expected = (request.body as { preconditions?: { resourceVersion?: string; uid?: string } } | undefined)?.preconditions ?? {};
        for (const [field, value] of [['ResourceVersion', expected.resourceVersion], ['UID', expected.uid]] as const) {
          const actual = field === 'UID' ? current.metadata.uid : current.metadata.resourceVersion;
          if (value !== undefined && value !== actual) {
            return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource)} "${name}": Precondition failed: ${field} in precondition: ${value}, ${field} in object meta: ${actual}`);
          }
        }
        remove(resource, current);
        return { body: structuredClone(current) };
      }
      default:
        return failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
  };

  return {
    respond(request) {
      for (const hook of [...hooks]) {
        const answer = hook(request);
        if (answer) return answer;
      }
      try {
        return handle(request);
      } catch (error) {
        if (error instanceof StatusError) return error.response;
        throw error;
      }
    },
    get: (ref) => {
      const found = objectsOf(ref).get(objectKey(ref.namespace, ref.name));
      return found && structuredClone(found);
    },
    list: (resource) => [...objectsOf(resource).values()].map((o) => structuredClone(o)).sort((a, b) => objectKey(a.metadata.namespace, a.metadata.name).localeCompare(objectKey(b.metadata.namespace, b.metadata.name))),
    seed: (resource, object) => create(resource, object.metadata.namespace, object, true),
    modify(ref, change) {
      const current = objectsOf(ref).get(objectKey(ref.namespace, ref.name));
      if (!current) throw new Error(`no ${qualified(ref)} ${objectKey(ref.namespace, ref.name)} to modify`);
      const next = structuredClone(current);
      change(next);
      return commit(ref, current, next);
    },
    delete(ref) {
      const current = objectsOf(ref).get(objectKey(ref.namespace, ref.name));
      if (current) remove(ref, current);
      return current !== undefined;
    },
    intercept(hook) {
      hooks.add(hook);
      return () => hooks.delete(hook);
    },
    once(match, action) {
      const hook: Hook = (request) => {
        if (!match(request)) return undefined;
        hooks.delete(hook);
        return action(request);
      };
      hooks.add(hook);
    },
    dropWatches() {
      for (const watcher of [...watchers]) watcher.end();
    },
    compact() {
      for (const [kind, log] of history) if (log.length > 0) compacted.set(kind, log.splice(0).at(-1)!.revision);
    },
    get openWatches() {
      return watchers.size;
    },
  };
}

/** A SelfSubjectReview: created and answered, never stored; 401 for a token that is no user's, as the API server. */
function selfSubjectReview(request: RecordedRequest, users: Record<string, UserInfo>): FakeResponse {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  const user = token !== undefined && Object.hasOwn(users, token) ? users[token] : undefined;
  if (!user) return failure(401, 'Unauthorized', 'Unauthorized');
  const userInfo = { username: user.username, groups: user.groups ?? ['system:authenticated'] };
  return { status: 201, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: { creationTimestamp: null }, status: { userInfo } } };
}

/** Whether every comma-separated `key=value`, `key==value`, `key!=value`, `key` or `!key` term holds. */
function selects(selector: string | null, valueOf: (key: string) => string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const exists = /^\s*(!?)([^!=\s]+)\s*$/.exec(term);
    if (exists) return (valueOf(exists[2]!) !== undefined) !== (exists[1] === '!');
    const match = /^\s*([^!=\s]+)\s*(!=|==|=)\s*(\S*)\s*$/.exec(term);
    if (!match) throw new StatusError(failure(400, 'BadRequest', `unable to parse requirement: the fake supports only =, ==, != and existence terms, got "${term}"`));
    const [, key, op, value] = match;
    return op === '!=' ? valueOf(key!) !== value : valueOf(key!) === value;
  });
}

/** A field by dotted path, as a string (field selectors compare strings). */
function fieldOf(object: KubeObject, path: string): string | undefined {
  let value: unknown = object;
  for (const part of path.split('.')) value = isObject(value) ? value[part] : undefined;
  return value === undefined || value === null ? undefined : String(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386: objects merge, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
}

/** RFC 6902 add, replace, remove and test; an op that cannot apply answers 422 as the API server does. */
export function jsonPatch(document: unknown, ops: JsonPatchOp[]): unknown {
  const invalid = (message: string) => new StatusError(failure(422, 'Invalid', message));
  if (!Array.isArray(ops)) throw invalid('a JSON patch must be an array of operations');
  let root = document;
  for (const { op, path, value } of ops) {
    const tokens = path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (tokens.length === 0) {
      if (op === 'add' || op === 'replace') root = structuredClone(value);
      else throw invalid(`unsupported operation ${op} on the whole document`);
      continue;
    }
    let parent: unknown = root;
    for (const token of tokens.slice(0, -1)) {
      parent = Array.isArray(parent) ? parent[Number(token)] : isObject(parent) ? parent[token] : undefined;
      if (parent === undefined) throw invalid(`doc is missing path: "${path}"`);
    }
    const last = tokens.at(-1)!;
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length || (op !== 'add' && index >= parent.length)) throw invalid(`doc is missing path: "${path}"`);
      if (op === 'add') parent.splice(index, 0, structuredClone(value));
      else if (op === 'replace') parent[index] = structuredClone(value);
      else if (op === 'remove') parent.splice(index, 1);
      else if (op === 'test') {
        if (JSON.stringify(parent[index]) !== JSON.stringify(value)) throw invalid(`testing value ${path} failed`);
      } else throw invalid(`unsupported operation ${op}`);
    } else if (isObject(parent)) {
      if (op !== 'add' && !(last in parent)) throw invalid(`doc is missing path: "${path}"`);
      if (op === 'add' || op === 'replace') parent[last] = structuredClone(value);
      else if (op === 'remove') delete parent[last];
      else if (op === 'test') {
        if (JSON.stringify(parent[last]) !== JSON.stringify(value)) throw invalid(`testing value ${path} failed`);
      } else throw invalid(`unsupported operation ${op}`);
    } else throw invalid(`doc is missing path: "${path}"`);
  }
  return root;
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** generateName's suffix: five characters of the API server's alphabet. */
function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return suffix;
}
