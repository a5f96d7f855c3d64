import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePath, setYamlPaths, YamlPathError } from './yaml-paths.js';

const ROLLOUT = `# loans-api in prod-na
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: loans-api
  annotations:
    app.kubernetes.io/version: "1.0"
spec:
  replicas: 2   # two stable pods
  template:
    spec:
      containers:
        - name: app
          image: "registry.example/loans-api:1.0"   # set by the pipeline
          ports: [ { containerPort: 8080 } ]
        -   name: sidecar
            image: envoy:1.30
            args:
              - --log-level=info
      enabled: true
---
replicas:
- count: 2
`;

describe('parsePath', () => {
  it('reads dotted keys, list indexes and quoted keys', () => {
    expect(parsePath('spec.template.spec.containers[0].image')).toEqual(['spec', 'template', 'spec', 'containers', 0, 'image']);
    expect(parsePath('replicas[0].count')).toEqual(['replicas', 0, 'count']);
    expect(parsePath('metadata.annotations["app.kubernetes.io/version"]')).toEqual(['metadata', 'annotations', 'app.kubernetes.io/version']);
  });

  it('names the path and the expected form when it cannot be read', () => {
    for (const bad of ['', 'a..b', 'a[x]', 'a.b[0', '.a', 'a b']) expect(() => parsePath(bad)).toThrow(YamlPathError);
    expect(() => parsePath('a[x]')).toThrow(/path "a\[x\]".*expected keys joined by dots/);
  });
});

describe('setYamlPaths', () => {
  it('changes only the edited values: comments, quoting, indentation and other documents stay as they were', () => {
    const out = setYamlPaths(ROLLOUT, [
      { path: 'spec.template.spec.containers[0].image', value: 'registry.example/loans-api:2.0' },
      { path: 'spec.replicas', value: '3' },
    ]);
    expect(out).toBe(
      ROLLOUT.replace('"registry.example/loans-api:1.0"', '"registry.example/loans-api:2.0"').replace('replicas: 2   # two', 'replicas: 3   # two'),
    );
    expect(parse(out.split('---')[0]!).spec.replicas).toBe(3);
  });

  it('edits the document asked for in a multi-document file', () => {
    expect(setYamlPaths(ROLLOUT, [{ path: 'replicas[0].count', value: '4' }], 1)).toBe(ROLLOUT.replace('- count: 2', '- count: 4'));
  });

  it('keeps a string a string as Kubernetes reads it: quotes a value that would read as something else', () => {
    const out = setYamlPaths(ROLLOUT, [{ path: 'spec.template.spec.containers[1].image', value: 'yes' }]);
    expect(out).toContain('image: "yes"');
    expect(setYamlPaths(ROLLOUT, [{ path: 'spec.template.spec.containers[1].image', value: 'envoy:1.31' }])).toContain('image: envoy:1.31\n');
    expect(setYamlPaths(ROLLOUT, [{ path: 'metadata.annotations["app.kubernetes.io/version"]', value: '2.0' }])).toContain('app.kubernetes.io/version: "2.0"');
    expect(setYamlPaths(ROLLOUT, [{ path: 'spec.template.spec.containers[1].image', value: 'a: b # c' }])).toContain('image: "a: b # c"');
  });

  it('refuses a value of another type than the field holds', () => {
    expect(() => setYamlPaths(ROLLOUT, [{ path: 'spec.replicas', value: 'three' }])).toThrow('path "spec.replicas" holds a number (2); "three" is not one');
    expect(() => setYamlPaths(ROLLOUT, [{ path: 'spec.template.spec.enabled', value: 'maybe' }])).toThrow('holds true or false');
    expect(setYamlPaths(ROLLOUT, [{ path: 'spec.template.spec.enabled', value: 'false' }])).toContain('enabled: false');
  });

  it('says which part of a path is missing, and writes nothing', () => {
    expect(() => setYamlPaths(ROLLOUT, [{ path: 'spec.template.spec.containers[2].image', value: 'x' }])).toThrow('path "spec.template.spec.containers[2].image": spec.template.spec.containers has no item 2');
    expect(() => setYamlPaths(ROLLOUT, [{ path: 'spec.replica', value: '3' }])).toThrow('spec has no key "replica"');
    expect(() => setYamlPaths(ROLLOUT, [{ path: 'status.phase', value: 'x' }])).toThrow('the document has no key "status"');
    expect(() => setYamlPaths(ROLLOUT, [{ path: 'spec.replicas', value: '3' }], 2)).toThrow('the file has 2 YAML document(s), not a document 3');
  });

  it('refuses a path to a list or map, and a block text', () => {
    expect(() => setYamlPaths(ROLLOUT, [{ path: 'spec.template.spec.containers', value: 'x' }])).toThrow('leads to a list or map');
    expect(() => setYamlPaths('a:\n  b: |\n    text\n', [{ path: 'a.b', value: 'x' }])).toThrow('block');
  });

  it('refuses a value that would change the file beyond it (a flow map or list ended early)', () => {
    for (const value of ['...', '\n', '---\nz: 1', 'x", c: 2']) {
      try {
        const out = setYamlPaths('a: {b: old, c: 1}\nl: [x, y]\n', [{ path: 'a.b', value }]);
        // Written only when the file reads back as before with just that value changed.
        expect(parse(out)).toEqual({ a: { b: value, c: 1 }, l: ['x', 'y'] });
      } catch (error) {
        expect((error as Error).message).toMatch(/^path "a\.b": writing this value would change the file beyond that value/);
      }
    }
    expect(setYamlPaths('l: [x, y]\n', [{ path: 'l[0]', value: 'new' }])).toBe('l: [new, y]\n');
  });

  it('refuses a file that is not valid YAML', () => {
    expect(() => setYamlPaths('a: [1, 2\nb: c\n', [{ path: 'b', value: 'd' }])).toThrow(/not valid YAML/);
  });
});
