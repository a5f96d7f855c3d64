import { describe, expect, it } from 'vitest';
import { templateDigest } from './template-digest.js';

// A template as written through the API (what the bot reads, changes and sends back) …
const written = {
  metadata: { labels: { app: 'web' }, annotations: {} },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'registry.example/web:2',
        args: ['', '--port=8080'],
        ports: [{ containerPort: 8080 }],
        env: [{ name: 'MODE', value: '' }, { name: 'LEVEL', value: 'info' }, { name: 'KEY', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
        resources: { requests: { cpu: '0.5', memory: 134217728 }, limits: { cpu: 1, memory: '131072Ki' } },
        volumeMounts: [{ name: 'cache', mountPath: '/cache', readOnly: false }],
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, initialDelaySeconds: 0, periodSeconds: 5 },
        securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
      },
    ],
    volumes: [{ name: 'cache', emptyDir: { sizeLimit: '1Gi' } }],
    hostNetwork: false,
  },
};

// … and the same template as a step plugin receives it: the CRD's defaults filled in, keys sorted, empty values
// added or left out, and every quantity "0" (the controller's plugin RPC loses their amounts).
const marshalled = {
  metadata: { creationTimestamp: null, labels: { app: 'web', 'rollouts-pod-template-hash': '6bb8c57c5d' } },
  spec: {
    containers: [
      {
        args: ['', '--port=8080'],
        env: [{ name: 'MODE' }, { name: 'LEVEL', value: 'info' }, { name: 'KEY', valueFrom: { secretKeyRef: { key: 'k', name: 's', optional: false } } }],
        image: 'registry.example/web:2',
        name: 'app',
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
        resources: { limits: { cpu: '0', memory: '0' }, requests: { cpu: '0', memory: '0' } },
        securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true },
        volumeMounts: [{ mountPath: '/cache', name: 'cache' }],
      },
    ],
    volumes: [{ emptyDir: { sizeLimit: '0' }, name: 'cache' }],
  },
};

const changed = (change: (t: typeof written) => void) => {
  const copy = structuredClone(written);
  change(copy);
  return copy;
};

describe('templateDigest', () => {
  it('is the same for a template as written and as the controller marshals it', () => {
    expect(templateDigest(marshalled)).toBe(templateDigest(written));
    expect(templateDigest(written)).toMatch(/^[0-9a-f]{64}$/);
    expect(templateDigest(changed((t) => void (t.spec.containers[0]!.resources.limits.cpu = 2)))).toBe(templateDigest(written));
  });

  it.each([
    ['the image', (t: typeof written) => void (t.spec.containers[0]!.image = 'registry.example/web:3')],
    ['a port protocol', (t: typeof written) => void Object.assign(t.spec.containers[0]!.ports[0]!, { protocol: 'UDP' })],
    ['the resources set (their amounts cannot be compared)', (t: typeof written) => void Object.assign(t.spec.containers[0]!.resources.limits, { 'nvidia.com/gpu': 1 })],
    ['an empty argument', (t: typeof written) => void t.spec.containers[0]!.args.shift()],
    ['a label', (t: typeof written) => void (t.metadata.labels.app = 'other')],
    ['runAsUser 0, which is not unset', (t: typeof written) => void Object.assign(t.spec.containers[0]!.securityContext, { runAsUser: 0 })],
    ['allowPrivilegeEscalation', (t: typeof written) => void (t.spec.containers[0]!.securityContext.allowPrivilegeEscalation = true)],
  ])('changes with %s', (_what, change) => {
    expect(templateDigest(changed(change))).not.toBe(templateDigest(written));
  });
});
