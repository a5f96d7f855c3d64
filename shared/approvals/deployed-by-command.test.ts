import { describe, expect, it } from 'vitest';
import { deployedByForManifest } from './deployed-by-command.js';
import { deployerOf } from './deployer.js';

const manifest = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: checkout}
spec:
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
        - name: app
          image: registry.example/checkout:1.4.2
          ports: [{containerPort: 8080}]
          resources: {requests: {cpu: 250m}}
`;

describe('deployedByForManifest', () => {
  it('binds the user to the manifest template, as the controller will send it', () => {
    const value = deployedByForManifest('U0123ALICE', manifest, 'rollout.yaml');
    expect(JSON.parse(value)).toEqual({ user: 'U0123ALICE', template: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const sent = { metadata: { creationTimestamp: null, labels: { app: 'checkout' } }, spec: { containers: [{ image: 'registry.example/checkout:1.4.2', name: 'app', ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: { cpu: '0' } } }] } };
    expect(deployerOf({ namespace: 'shop', name: 'checkout', annotation: value, template: sent })).toEqual({ user: 'U0123ALICE' });
  });

  it('names what is wrong', () => {
    expect(() => deployedByForManifest('alice', manifest, 'rollout.yaml')).toThrow('user: expected a Slack user ID such as U0123ABCD; got "alice"');
    expect(() => deployedByForManifest('U0123ALICE', 'kind: Service\nspec: {}', 'svc.yaml')).toThrow('svc.yaml: expected a Rollout or Deployment with spec.template');
    expect(() => deployedByForManifest('U0123ALICE', '{', 'bad.yaml')).toThrow(/^bad\.yaml: /);
  });
});
