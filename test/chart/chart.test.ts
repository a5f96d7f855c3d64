// The Helm chart, rendered by the pinned helm that scripts/helm.sh builds: the manifests a cluster would get for
// several value sets, the argo-rollouts values it prints, its schema, and its example AnalysisTemplates checked
// with the engine's own config validation.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseVerifySettings } from '../../plugin/config/schema.js';
import { readMetricConfig } from '../../plugin/verify/metric.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const chart = join(root, 'charts/rollouts-cv');
const ARGO_PLUGIN_NAME = /^([a-zA-Z0-9-]+)\/{1}([a-zA-Z0-9_.-]+)$/;
const ENGINE_ADDRESS = '--engine-address=rcv-rollouts-cv-engine.rollouts-cv.svc:7070';

function helmBinary(): string | undefined {
  const result = spawnSync('bash', [join(root, 'scripts/helm.sh'), '--path'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const helm = helmBinary();
const inCI = process.env.CI === 'true' || process.env.CI === '1';

type K8s = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string>; automountServiceAccountToken?: boolean };

interface Rendered {
  status: number | null;
  stderr: string;
  docs: K8s[];
}

function helmRun(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(helm!, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function render(options: { values?: readonly string[]; set?: readonly string[]; chartDir?: string } = {}): Rendered {
  const args = ['template', 'rcv', options.chartDir ?? chart, '--namespace', 'rollouts-cv'];
  for (const file of options.values ?? []) args.push('--values', join(chart, 'ci', file));
  for (const item of options.set ?? []) args.push('--set', item);
  const result = helmRun(args);
  const docs = result.status === 0 ? parseAllDocuments(result.stdout).map((doc) => doc.toJS() as K8s).filter((doc) => doc !== null) : [];
  return { status: result.status, stderr: result.stderr, docs };
}

function ok(options: Parameters<typeof render>[0] = {}): K8s[] {
  const result = render(options);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return result.docs;
}

function only(docs: K8s[], kind: string): K8s {
  const found = docs.filter((doc) => doc.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
}

function engineContainer(docs: K8s[]) {
  return only(docs, 'Deployment').spec.template.spec.containers.find((c: { name: string }) => c.name === 'engine');
}

// What Argo Rollouts substitutes before it calls the plugin.
function substituteArgs(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value).replaceAll('{{args.canary-hash}}', '6f9c8d7b5').replaceAll('{{args.stable-hash}}', '5d8b9c6f4'));
}

function pluginEntries(text: string): { name: string; location: string; sha256?: string; args: string[] }[] {
  return parse(text) as { name: string; location: string; sha256?: string; args: string[] }[];
}

if (!helm) {
  if (inCI) {
    describe('Helm chart', () => {
      it('has the pinned helm binary', () => {
        throw new Error('helm is not built: run `bash scripts/helm.sh` (scripts/setup.sh does) before the tests');
      });
    });
  } else {
    console.warn('test/chart: skipped, helm is not built yet — run `bash scripts/helm.sh` (or scripts/setup.sh) to build it');
    describe.skip('Helm chart (helm not built: run bash scripts/helm.sh)', () => {
      it('renders', () => undefined);
    });
  }
} else {
  describe('Helm chart', () => {
    it('passes helm lint --strict with every value set', () => {
      for (const values of [[], ['tls-values.yaml'], ['hpa-values.yaml'], ['argo-config-values.yaml'], ['examples-values.yaml']]) {
        const result = helmRun(['lint', '--strict', chart, ...values.flatMap((file) => ['--values', join(chart, 'ci', file)])]);
        expect(result.status, `${values.join(',')}: ${result.stdout}${result.stderr}`).toBe(0);
      }
    });

    describe('defaults', () => {
      const docs = ok();
      const deployment = only(docs, 'Deployment');
      const pod = deployment.spec.template.spec;
      const container = engineContainer(docs);

      it('renders the engine and nothing for Argo Rollouts or examples', () => {
        expect(docs.map((doc) => doc.kind).sort()).toEqual(['Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
      });

      it('runs the engine non-root, read-only, without capabilities, with RuntimeDefault seccomp', () => {
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(container.securityContext).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      });

      it('gives the engine no Kubernetes API access', () => {
        expect(only(docs, 'ServiceAccount').automountServiceAccountToken).toBe(false);
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.serviceAccountName).toBe(only(docs, 'ServiceAccount').metadata.name);
      });

      it('serves gRPC on 7070 with grpc.health.v1 probes, metrics on 8080, and a Service in front', () => {
        expect(container.args).toEqual(['engine', '--listen=0.0.0.0:7070', '--log-level=info', '--metrics-listen=0.0.0.0:8080', '--shutdown-grace=10s']);
        expect(container.ports).toEqual([
          { name: 'grpc', containerPort: 7070, protocol: 'TCP' },
          { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
        ]);
        expect(container.readinessProbe.grpc).toEqual({ port: 7070 });
        expect(container.livenessProbe.grpc).toEqual({ port: 7070 });
        const service = only(docs, 'Service');
        expect(service.metadata.name).toBe('rcv-rollouts-cv-engine');
        expect(service.spec.ports).toEqual([
          { name: 'grpc', port: 7070, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' },
          { name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
        ]);
        expect(pod.containers).toHaveLength(1);
        expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
      });

      it('outlasts the shutdown grace before the kubelet kills the pod', () => {
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10);
      });

      it('keeps a replica during voluntary disruptions', () => {
        expect(deployment.spec.replicas).toBe(2);
        const pdb = only(docs, 'PodDisruptionBudget');
        expect(pdb.spec.maxUnavailable).toBe(1);
        expect(deployment.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
      });

      it('lets only the Argo Rollouts controller pods reach the engine port, anyone scrape metrics, egress open', () => {
        const policy = only(docs, 'NetworkPolicy');
        expect(deployment.spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
        expect(policy.spec.policyTypes).toEqual(['Ingress']);
        expect(policy.spec.ingress).toEqual([
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'argo-rollouts' } },
                podSelector: { matchLabels: { 'app.kubernetes.io/name': 'argo-rollouts' } },
              },
            ],
            ports: [{ port: 'grpc', protocol: 'TCP' }],
          },
          { ports: [{ port: 'metrics', protocol: 'TCP' }] },
        ]);
        expect(policy.spec.egress).toBeUndefined();
      });
    });

    describe('metrics and ServiceMonitor (ci/servicemonitor-values.yaml)', () => {
      const docs = ok({ values: ['servicemonitor-values.yaml'] });
      const service = only(docs, 'Service');

      it('scrapes the engine Service\'s metrics port from a ServiceMonitor with the Prometheus\' labels', () => {
        expect(engineContainer(docs).args).toContain('--metrics-listen=0.0.0.0:9464');
        expect(service.spec.ports).toContainEqual({ name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' });
        const monitor = only(docs, 'ServiceMonitor');
        expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
        expect(monitor.metadata.namespace).toBe('monitoring');
        expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
        expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
        expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['rollouts-cv'] });
        expect(monitor.spec.endpoints).toEqual([
          {
            port: 'metrics',
            path: '/metrics',
            scheme: 'http',
            interval: '15s',
            scrapeTimeout: '5s',
            metricRelabelings: [{ action: 'drop', sourceLabels: ['__name__'], regex: 'nodejs_gc_.*' }],
          },
        ]);
      });

      it('admits scrapes only from the configured peers', () => {
        expect(only(docs, 'NetworkPolicy').spec.ingress[1]).toEqual({
          ports: [{ port: 'metrics', protocol: 'TCP' }],
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        });
      });

      it('leaves out the flag, the ports and the policy rule when metrics are off', () => {
        const off = ok({ set: ['engine.metrics.enabled=false'] });
        expect(engineContainer(off).args.join(' ')).not.toContain('--metrics-listen');
        expect(engineContainer(off).ports.map((port: { name: string }) => port.name)).toEqual(['grpc']);
        expect(only(off, 'Service').spec.ports.map((port: { name: string }) => port.name)).toEqual(['grpc']);
        expect(only(off, 'NetworkPolicy').spec.ingress).toHaveLength(1);
      });

      it('refuses a ServiceMonitor without metrics, and metrics on the gRPC port', () => {
        const noMetrics = render({ set: ['engine.metrics.enabled=false', 'engine.metrics.serviceMonitor.enabled=true'] });
        expect(noMetrics.status).not.toBe(0);
        expect(noMetrics.stderr).toContain('engine.metrics.serviceMonitor.enabled needs engine.metrics.enabled');
        const samePort = render({ set: ['engine.metrics.port=7070'] });
        expect(samePort.status).not.toBe(0);
        expect(samePort.stderr).toContain('engine.metrics.port 7070 is also engine.port');
        const badInterval = render({ set: ['engine.metrics.serviceMonitor.interval=soon'] });
        expect(badInterval.stderr).toContain('/engine/metrics/serviceMonitor/interval');
      });
    });

    describe('TLS, credentials and restricted egress (ci/tls-values.yaml)', () => {
      const docs = ok({ values: ['tls-values.yaml'] });
      const pod = only(docs, 'Deployment').spec.template.spec;
      const container = engineContainer(docs);

      it('serves mutual TLS from the Secret', () => {
        expect(container.args).toEqual(
          expect.arrayContaining([
            '--tls-cert=/etc/rollouts-cv/tls/tls.crt',
            '--tls-key=/etc/rollouts-cv/tls/tls.key',
            '--tls-client-ca=/etc/rollouts-cv/tls/ca.crt',
          ]),
        );
        expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'rollouts-cv-engine-tls', defaultMode: 0o440 } });
        expect(container.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/rollouts-cv/tls', readOnly: true });
      });

      it('probes the port over TCP, since the kubelet gRPC probe is plaintext only', () => {
        expect(container.readinessProbe.grpc).toBeUndefined();
        expect(container.readinessProbe.tcpSocket).toEqual({ port: 'grpc' });
        expect(container.livenessProbe.tcpSocket).toEqual({ port: 'grpc' });
      });

      it('mounts each credentials Secret as a folder of --credentials-dir', () => {
        expect(container.args).toContain('--credentials-dir=/etc/rollouts-cv/credentials');
        for (const name of ['prometheus-main', 'thanos.query']) {
          const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === `/etc/rollouts-cv/credentials/${name}`);
          expect(mount, name).toBeDefined();
          expect(mount.readOnly).toBe(true);
          const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
          expect(volume.secret.secretName).toBe(name);
        }
      });

      it('restricts egress to DNS and the configured Prometheus', () => {
        const policy = only(docs, 'NetworkPolicy');
        expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
        expect(policy.spec.egress[0].ports).toEqual([
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ]);
        expect(policy.spec.egress[1]).toEqual({
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ port: 9090, protocol: 'TCP' }],
        });
      });

      it('points the bridge at the engine with the TLS flags when the chart registers it', () => {
        const config = only(ok({ values: ['tls-values.yaml'], set: ['argoRollouts.config.create=true'] }), 'ConfigMap');
        for (const key of ['metricProviderPlugins', 'stepPlugins']) {
          const [entry] = pluginEntries(config.data![key]!);
          expect(entry!.args).toEqual([
            ENGINE_ADDRESS,
            '--call-timeout=30s',
            '--tls-ca=/etc/rollouts-cv/tls/ca.crt',
            '--tls-server-name=rcv-rollouts-cv-engine.rollouts-cv.svc',
            '--tls-cert=/etc/rollouts-cv/tls/tls.crt',
            '--tls-key=/etc/rollouts-cv/tls/tls.key',
          ]);
        }
      });
    });

    describe('autoscaling (ci/hpa-values.yaml)', () => {
      const docs = ok({ values: ['hpa-values.yaml'] });
      const deployment = only(docs, 'Deployment');
      const pod = deployment.spec.template.spec;

      it('scales the Deployment with an autoscaling/v2 HPA instead of a fixed count', () => {
        const hpa = only(docs, 'HorizontalPodAutoscaler');
        expect(hpa.apiVersion).toBe('autoscaling/v2');
        expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
        expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
        expect(deployment.spec.replicas).toBeUndefined();
        expect(only(docs, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 2 });
      });

      it('waits for the preStop sleep and the shutdown grace before killing the pod', () => {
        const container = engineContainer(docs);
        expect(container.args).toContain('--shutdown-grace=20s');
        expect(container.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
        expect(pod.terminationGracePeriodSeconds).toBe(5 + 20 + 5);
      });

      it('passes scheduling through, filling in the engine selector of a spread constraint', () => {
        expect(pod.topologySpreadConstraints[0].labelSelector.matchLabels).toEqual(only(docs, 'Service').spec.selector);
        expect(pod.affinity.podAntiAffinity).toBeDefined();
      });
    });

    describe('argo-rollouts-config managed by the chart (ci/argo-config-values.yaml)', () => {
      const docs = ok({ values: ['argo-config-values.yaml'] });
      const config = only(docs, 'ConfigMap');

      it('is the controller ConfigMap in the configured namespace', () => {
        expect(config.metadata).toMatchObject({ name: 'argo-rollouts-config', namespace: 'platform-rollouts' });
        expect(only(docs, 'NetworkPolicy').spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'platform-rollouts' });
      });

      it('registers rollouts-cv/verify and rollouts-cv/gate from an https location with its sha256', () => {
        const metric = pluginEntries(config.data!.metricProviderPlugins!);
        const step = pluginEntries(config.data!.stepPlugins!);
        expect(metric.map((e) => e.name)).toEqual(['rollouts-cv/verify']);
        expect(step.map((e) => e.name)).toEqual(['rollouts-cv/gate']);
        for (const entry of [...metric, ...step]) {
          expect(entry.name).toMatch(ARGO_PLUGIN_NAME);
          expect(entry.location).toBe('https://downloads.example.com/rollouts-cv/v0.1.0/rollouts-cv-bridge-linux-amd64');
          expect(entry.sha256).toMatch(/^[a-f0-9]{64}$/);
          expect(entry.args).toEqual([ENGINE_ADDRESS, '--call-timeout=30s', '--dial-timeout=3s']);
        }
      });

      it('refuses an https location without its sha256', () => {
        const result = render({ values: ['argo-config-values.yaml'], set: ['argoRollouts.bridge.https.sha256='] });
        expect(result.status).not.toBe(0);
        expect(result.stderr).toContain('argoRollouts.bridge.https.sha256');
      });
    });

    describe('values for the argo-rollouts chart (printed by NOTES.txt)', () => {
      // helm template does not render NOTES.txt: render it, and the values helper it prints, from a copy.
      const copy = mkdtempSync(join(tmpdir(), 'rollouts-cv-chart-'));
      afterAll(() => rmSync(copy, { recursive: true, force: true }));
      cpSync(chart, copy, { recursive: true });
      writeFileSync(join(copy, 'notes.txt'), readFileSync(join(chart, 'templates/NOTES.txt'), 'utf8'));
      writeFileSync(join(copy, 'templates/zz-test.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rendered}\ndata:\n  values: {{ include "rollouts-cv.argoRolloutsValues" . | toJson }}\n  notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}\n');

      function rendered(set: string[] = []): { values: any; notes: string } {
        const config = ok({ chartDir: copy, set }).find((doc) => doc.metadata.name === 'rendered')!;
        return { values: parse(config.data!.values!), notes: config.data!.notes! };
      }

      it('copies the bridge into the controller pod with an init container and registers its file:// location', () => {
        const { values, notes } = rendered();
        const controller = values.controller;
        const [init] = controller.initContainers;
        expect(init.image).toBe('ghcr.io/rollouts-cv/bridge:0.1.0');
        expect(init.command).toEqual(['cp', '/rollouts-cv-bridge', '/home/argo-rollouts/rollouts-cv/rollouts-cv-bridge']);
        expect(init.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
        expect(init.volumeMounts).toEqual([{ name: 'rollouts-cv-bridge', mountPath: '/home/argo-rollouts/rollouts-cv' }]);
        expect(controller.volumes).toEqual([{ name: 'rollouts-cv-bridge', emptyDir: {} }]);
        expect(controller.volumeMounts).toEqual([{ name: 'rollouts-cv-bridge', mountPath: '/home/argo-rollouts/rollouts-cv', readOnly: true }]);
        for (const [key, name] of [['metricProviderPlugins', 'rollouts-cv/verify'], ['stepPlugins', 'rollouts-cv/gate']] as const) {
          expect(controller[key]).toEqual([
            { name, location: 'file:///home/argo-rollouts/rollouts-cv/rollouts-cv-bridge', args: [ENGINE_ADDRESS, '--call-timeout=30s'] },
          ]);
        }
        expect(notes).toContain('helm upgrade argo-rollouts argo/argo-rollouts -n argo-rollouts --reuse-values -f rollouts-cv-argo-values.yaml');
        // What the chart README's `sed -n '/^# ---- values/,/^# ---- end/p'` cuts out of the notes is these values.
        const cut = /^# ---- values.*$[\s\S]*?^# ---- end.*$/m.exec(notes);
        expect(cut, notes).not.toBeNull();
        expect(parse(cut![0])).toEqual(values);
      });

      it('leaves the plugin lists out when the chart manages argo-rollouts-config itself', () => {
        const { values, notes } = rendered(['argoRollouts.config.create=true']);
        expect(values.controller.metricProviderPlugins).toBeUndefined();
        expect(values.controller.stepPlugins).toBeUndefined();
        expect(values.controller.initContainers).toHaveLength(1);
        expect(notes).toContain('managed by this release');
      });

      it('mounts the bridge TLS Secret in the controller when TLS is on', () => {
        const { values, notes } = rendered(['engine.tls.enabled=true', 'engine.tls.secretName=engine-tls']);
        expect(values.controller.volumes).toContainEqual({ name: 'rollouts-cv-tls', secret: { secretName: 'rollouts-cv-bridge-tls' } });
        expect(values.controller.volumeMounts).toContainEqual({ name: 'rollouts-cv-tls', mountPath: '/etc/rollouts-cv/tls', readOnly: true });
        expect(values.controller.metricProviderPlugins[0].args).toContain('--tls-ca=/etc/rollouts-cv/tls/ca.crt');
        expect(notes).toContain('Secret rollouts-cv-bridge-tls with ca.crt');
      });
    });

    describe('example AnalysisTemplates', () => {
      for (const [label, options] of [
        ['defaults', { set: ['examples.enabled=true'] }],
        ['ci/examples-values.yaml', { values: ['examples-values.yaml'] }],
      ] as const) {
        it(`are accepted by the engine's config validation (${label})`, () => {
          const templates = ok(options).filter((doc) => doc.kind === 'AnalysisTemplate');
          expect(templates.map((t) => t.metadata.name)).toEqual(['rollouts-cv-http', 'rollouts-cv-istio']);
          for (const template of templates) {
            for (const metric of template.spec.metrics) {
              const substituted = substituteArgs(metric) as { provider: { plugin: Record<string, unknown> } };
              expect(Object.keys(substituted.provider.plugin)).toEqual(['rollouts-cv/verify']);
              const settings = parseVerifySettings(substituted.provider.plugin['rollouts-cv/verify']);
              expect(settings.metrics.map((m) => m.kind)).toEqual(['ratio', 'latency']);
              expect(() => readMetricConfig(substituted)).not.toThrow();
              const text = JSON.stringify(metric);
              expect(text).toContain('${selector}');
            }
          }
        });
      }

      it('are rejected by the engine when the ratio range differs from the step (the check is real)', () => {
        const [template] = ok({ set: ['examples.enabled=true'] }).filter((doc) => doc.kind === 'AnalysisTemplate');
        const config = (substituteArgs(template!.spec.metrics[0]) as { provider: { plugin: Record<string, any> } }).provider.plugin['rollouts-cv/verify'];
        config.source.prometheus.step = '30s';
        expect(() => parseVerifySettings(config)).toThrow(/metrics\[0\]/);
      });
    });

    describe('values schema', () => {
      it('rejects an unknown key', () => {
        const result = render({ set: ['engine.replicaCount=3'] });
        expect(result.status).not.toBe(0);
        expect(result.stderr).toMatch(/replicaCount/);
        expect(result.stderr).toMatch(/additional propert/i);
      });

      it('rejects a wrong type', () => {
        const result = render({ set: ['engine.port=grpc'] });
        expect(result.status).not.toBe(0);
        expect(result.stderr).toMatch(/port/);
      });

      it('rejects an invalid enum value and a credentials name the engine would refuse', () => {
        expect(render({ set: ['engine.logLevel=verbose'] }).status).not.toBe(0);
        expect(render({ set: ['engine.credentials.secrets={Prometheus_Main}'] }).status).not.toBe(0);
      });

      it('rejects TLS without a Secret', () => {
        const result = render({ set: ['engine.tls.enabled=true'] });
        expect(result.status).not.toBe(0);
        expect(result.stderr).toContain('engine.tls.secretName');
      });
    });

    describe('chart README', () => {
      it('documents every top-level value and has AnalysisTemplates the engine accepts', () => {
        const readme = readFileSync(join(chart, 'README.md'), 'utf8');
        const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
        for (const key of Object.keys(values)) expect(readme, key).toContain(`\`${key}`);
        const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
        for (const block of blocks) {
          for (const doc of parseAllDocuments(block).map((d) => d.toJS() as K8s)) {
            if (doc?.kind !== 'AnalysisTemplate') continue;
            for (const metric of doc.spec.metrics) expect(() => readMetricConfig(substituteArgs(metric))).not.toThrow();
          }
        }
      });
    });
  });
}
