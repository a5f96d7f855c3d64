// The Helm chart, rendered by the pinned helm that scripts/helm.sh builds: the manifests a cluster would get for
// several value sets, the argo-rollouts values it prints, its schema, its example AnalysisTemplates checked
// with the engine's own config validation, and the Slack bot's configuration checked with the bot's own parser.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseBotConfig } from '../../bot/config.js';
import { parseVerifySettings } from '../../plugin/config/schema.js';
import { readMetricConfig } from '../../plugin/verify/metric.js';
import { chart, chartCopy, describeChart, helmRun, type K8s, ok, type PolicyRule, render } from '../helpers/chart.js';

const ARGO_PLUGIN_NAME = /^([a-zA-Z0-9-]+)\/{1}([a-zA-Z0-9_.-]+)$/;
const ENGINE_ADDRESS = '--engine-address=rcv-rollouts-cv-engine.rollouts-cv.svc:7070';
const AUTH_TOKEN_FILE = '--auth-token-file=/etc/rollouts-cv/auth/token';
const ENGINE_TOKEN_FILE = '--engine-token-file=/etc/rollouts-cv/engine-token/token';

// The engine's grants: approval gates keep their requests as ApprovalRequests, the log judge reads people's marks on
// log templates, and report pages read the AnalysisRun they name; nothing else.
const ENGINE_RULES: PolicyRule[] = [
  { apiGroups: ['rollouts-cv.io'], resources: ['approvalrequests'], verbs: ['get', 'list', 'create'] },
  { apiGroups: ['rollouts-cv.io'], resources: ['approvalrequests/status'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: ['rollouts-cv.io'], resources: ['logtemplatefeedbacks'], verbs: ['get', 'list'] },
  { apiGroups: ['argoproj.io'], resources: ['analysisruns', 'rollouts'], verbs: ['get'] },
];
// What the bot does as itself, in every mode: reads (also through watches), its own thread annotations (rollout and
// pipeline run patches) and the intervention timeouts it carries out (rollout patches), approval requests and
// interventions, pipeline runs started and cancelled from Slack, marks on log templates, the audit Events.
const BOT_OWN_RULES: PolicyRule[] = [
  { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: ['argoproj.io'], resources: ['rollouts/status'], verbs: ['patch'] },
  { apiGroups: ['argoproj.io'], resources: ['analysisruns'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['rollouts-cv.io'], resources: ['approvalrequests'], verbs: ['get', 'list', 'watch', 'create'] },
  { apiGroups: ['rollouts-cv.io'], resources: ['approvalrequests/status'], verbs: ['update'] },
  { apiGroups: ['rollouts-cv.io'], resources: ['pipelineruns'], verbs: ['get', 'list', 'watch', 'patch', 'create'] },
  { apiGroups: ['rollouts-cv.io'], resources: ['pipelines'], verbs: ['get'] },
  { apiGroups: ['rollouts-cv.io'], resources: ['logtemplatefeedbacks'], verbs: ['get', 'create', 'update'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'get'] },
];
// What people's commands add when the bot sends them as itself (no impersonation): set image's PUT of the Rollout
// or of its workloadRef Deployment, undo's patch of the workloadRef.
const BOT_ACTION_RULES: PolicyRule[] = [
  { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['update'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['patch'] },
];
const BOT_RULES: PolicyRule[] = [...BOT_OWN_RULES, ...BOT_ACTION_RULES];
const BOT_SECRET = ['bot.enabled=true', 'bot.slack.existingSecret=rollouts-cv-slack'];
// The pipelines controller, cluster-wide: PipelineRuns, the Rollout actions, AnalysisRuns from templates, Argo CD
// syncs, the ApprovalRequests of approval steps and interventions. Secrets are granted per namespace (pipelines.credentialNamespaces), never here.
const PIPELINES_RULES: PolicyRule[] = [
  { apiGroups: ['rollouts-cv.io'], resources: ['pipelines', 'pipelineruns'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['rollouts-cv.io'], resources: ['pipelineruns/status'], verbs: ['update'] },
  { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get', 'patch'] },
  { apiGroups: ['argoproj.io'], resources: ['rollouts/status'], verbs: ['patch'] },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
  { apiGroups: ['argoproj.io'], resources: ['analysistemplates', 'clusteranalysistemplates'], verbs: ['get'] },
  { apiGroups: ['argoproj.io'], resources: ['analysisruns'], verbs: ['get', 'create'] },
  { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['get', 'patch'] },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
  { apiGroups: ['rollouts-cv.io'], resources: ['approvalrequests'], verbs: ['get', 'list', 'create'] },
  { apiGroups: ['rollouts-cv.io'], resources: ['approvalrequests/status'], verbs: ['update'] },
];

function only(docs: K8s[], kind: string): K8s {
  const found = docs.filter((doc) => doc.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
}

function engineContainer(docs: K8s[]) {
  return only(docs, 'Deployment').spec.template.spec.containers.find((c: { name: string }) => c.name === 'engine');
}

function component(docs: K8s[], name: 'engine' | 'bot' | 'pipelines'): K8s[] {
  return docs.filter((doc) => doc.metadata.labels?.['app.kubernetes.io/component'] === name);
}

function botDoc(docs: K8s[], kind: string): K8s {
  return only(component(docs, 'bot'), kind);
}

function botContainer(docs: K8s[]) {
  const [container, ...others] = botDoc(docs, 'Deployment').spec.template.spec.containers;
  expect(others).toEqual([]);
  return container;
}

function ciValues(file: string): any {
  return parse(readFileSync(join(chart, 'ci', file), 'utf8'));
}

/** Non-root with RuntimeDefault seccomp, a read-only root with a /tmp volume, no privilege escalation, no capabilities. */
function expectHardened(pod: any, container: any): void {
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  expect(container.securityContext).toMatchObject({
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
}

// What Argo Rollouts substitutes before it calls the plugin.
function substituteArgs(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value).replaceAll('{{args.canary-hash}}', '6f9c8d7b5').replaceAll('{{args.stable-hash}}', '5d8b9c6f4'));
}

function pluginEntries(text: string): { name: string; location: string; sha256?: string; args: string[] }[] {
  return parse(text) as { name: string; location: string; sha256?: string; args: string[] }[];
}

describeChart('Helm chart', () => {
  it('passes helm lint --strict with every value set', () => {
    for (const values of [[], ['tls-values.yaml'], ['hpa-values.yaml'], ['argo-config-values.yaml'], ['examples-values.yaml'], ['servicemonitor-values.yaml'], ['bot-values.yaml'], ['bot-socket-values.yaml']]) {
      const result = helmRun(['lint', '--strict', chart, ...values.flatMap((file) => ['--values', join(chart, 'ci', file)])]);
      expect(result.status, `${values.join(',')}: ${result.stdout}${result.stderr}`).toBe(0);
    }
  });

  describe('defaults', () => {
    const docs = ok();
    const deployment = only(docs, 'Deployment');
    const pod = deployment.spec.template.spec;
    const container = engineContainer(docs);

    it('renders the engine and its RBAC, and nothing for Argo Rollouts, examples or the bot', () => {
      expect(docs.map((doc) => doc.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Secret', 'Service', 'ServiceAccount']);
      expect(component(docs, 'engine')).toHaveLength(docs.length);
      expect(component(docs, 'bot')).toEqual([]);
    });

    it('runs the engine non-root, read-only, without capabilities, with RuntimeDefault seccomp', () => {
      expectHardened(pod, container);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    });

    it('gives the engine a token and a ClusterRole with only the ApprovalRequest verbs approval gates use', () => {
      const account = only(docs, 'ServiceAccount');
      expect(account.automountServiceAccountToken).toBe(true);
      expect(pod.automountServiceAccountToken).toBe(true);
      expect(pod.serviceAccountName).toBe(account.metadata.name);
      const role = only(docs, 'ClusterRole');
      expect(role.metadata.name).toBe('rcv-rollouts-cv-engine');
      expect(role.rules).toEqual(ENGINE_RULES);
      const binding = only(docs, 'ClusterRoleBinding');
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: 'rollouts-cv' }]);
    });

    it('serves gRPC on 7070 with grpc.health.v1 probes, metrics on 8080, and a Service in front', () => {
      expect(container.args).toEqual([
        'engine',
        '--listen=0.0.0.0:7070',
        '--log-level=info',
        '--metrics-listen=0.0.0.0:8080',
        '--shutdown-grace=10s',
        AUTH_TOKEN_FILE,
        '--report-listen=127.0.0.1:8082',
        '--report-cache-ttl=60s',
      ]);
      expect(container.ports).toEqual([
        { name: 'grpc', containerPort: 7070, protocol: 'TCP' },
        { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
        { name: 'reports', containerPort: 8082, protocol: 'TCP' },
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
      expect(engineContainer(off).ports.map((port: { name: string }) => port.name)).toEqual(['grpc', 'reports']);
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
        expect(entry.args).toEqual([ENGINE_ADDRESS, '--call-timeout=30s', ENGINE_TOKEN_FILE, '--dial-timeout=3s']);
      }
    });

    it('refuses an https location without its sha256', () => {
      const result = render({ values: ['argo-config-values.yaml'], set: ['argoRollouts.bridge.https.sha256='] });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('argoRollouts.bridge.https.sha256');
    });
  });

  describe('values for the argo-rollouts chart (printed by NOTES.txt)', () => {
    // A ConfigMap of the notes and of the values helper they print.
    const copy = chartCopy('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rendered}\ndata:\n  values: {{ include "rollouts-cv.argoRolloutsValues" . | toJson }}\n  notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}\n');

    function rendered(set: string[] = [], values: string[] = []): { values: any; notes: string } {
      const config = ok({ chartDir: copy, set, values }).find((doc) => doc.metadata.name === 'rendered')!;
      return { values: parse(config.data!.values!), notes: config.data!.notes! };
    }

    it('copies the bridge into the controller pod with an init container and registers its file:// location', () => {
      const { values, notes } = rendered();
      const controller = values.controller;
      const [init] = controller.initContainers;
      expect(init.image).toBe('ghcr.io/rollouts-cv/rollouts-cv/bridge:0.1.0');
      expect(init.command).toEqual(['cp', '/rollouts-cv-bridge', '/home/argo-rollouts/rollouts-cv/rollouts-cv-bridge']);
      expect(init.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
      expect(init.volumeMounts).toEqual([{ name: 'rollouts-cv-bridge', mountPath: '/home/argo-rollouts/rollouts-cv' }]);
      expect(controller.volumes).toEqual([
        { name: 'rollouts-cv-bridge', emptyDir: {} },
        { name: 'rollouts-cv-engine-token', secret: { secretName: 'rollouts-cv-engine-token' } },
      ]);
      expect(controller.volumeMounts).toEqual([
        { name: 'rollouts-cv-bridge', mountPath: '/home/argo-rollouts/rollouts-cv', readOnly: true },
        { name: 'rollouts-cv-engine-token', mountPath: '/etc/rollouts-cv/engine-token', readOnly: true },
      ]);
      for (const [key, name] of [['metricProviderPlugins', 'rollouts-cv/verify'], ['stepPlugins', 'rollouts-cv/gate']] as const) {
        expect(controller[key]).toEqual([
          { name, location: 'file:///home/argo-rollouts/rollouts-cv/rollouts-cv-bridge', args: [ENGINE_ADDRESS, '--call-timeout=30s', ENGINE_TOKEN_FILE] },
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

    it('prints the Slack request URL in http mode, the Socket Mode note otherwise, and nothing of the bot when it is off', () => {
      expect(rendered().notes).not.toContain('Slack');
      const http = rendered([], ['bot-values.yaml']).notes;
      expect(http).toContain('https://rollouts-cv.example.com/slack/events');
      expect(http).toContain('bind those identities to the');
      const noIngress = rendered([...BOT_SECRET]).notes;
      expect(noIngress).toContain('https://<your host>/slack/events');
      expect(noIngress).toContain('Service rcv-rollouts-cv-bot:3000');
      const socket = rendered([], ['bot-socket-values.yaml']).notes;
      expect(socket).toContain('Socket Mode');
      expect(socket).not.toContain('/slack/events');
      expect(socket).toContain('in namespaces checkout, payments');
    });

    it('warns when the bot impersonates without the impersonate grant', () => {
      expect(rendered(['bot.rbac.impersonate=false'], ['bot-values.yaml']).notes).toContain('bot.rbac.impersonate is false');
      expect(rendered([], ['bot-values.yaml']).notes).not.toContain('bot.rbac.impersonate is false');
    });

    it('says where the engine token is and that the values mount it into the controller', () => {
      expect(rendered().notes).toContain('bridge token required');
      expect(rendered().notes).toContain('a copy, Secret rollouts-cv-engine-token, in namespace\nargo-rollouts');
      const existing = rendered(['engine.auth.existingSecret=platform-token']).notes;
      expect(existing).toContain('Create Secret rollouts-cv-engine-token in namespace argo-rollouts with the same key `token` as Secret platform-token');
      expect(rendered(['engine.auth.enabled=false']).notes).not.toContain('token');
    });

    it('says how to upgrade the CRD, which Helm does not', () => {
      expect(rendered().notes).toContain('kubectl apply --server-side -f charts/rollouts-cv/crds/');
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

    it('are rejected by the engine when a ratio query takes increase() of the counter (the check is real)', () => {
      const [template] = ok({ set: ['examples.enabled=true'] }).filter((doc) => doc.kind === 'AnalysisTemplate');
      const config = (substituteArgs(template!.spec.metrics[0]) as { provider: { plugin: Record<string, any> } }).provider.plugin['rollouts-cv/verify'];
      expect(config.source.prometheus).toMatchObject({ step: '15s', scrapeInterval: '30s' });
      config.metrics[0].numerator = 'sum by (pod) (increase(http_requests_total{code=~"5..",${selector}}[15s]))';
      expect(() => parseVerifySettings(config)).toThrow(/metrics\[0\]\.numerator: expected the cumulative counter/);
    });

    it('refuses a Prometheus address with a password before anything is rendered', () => {
      const result = render({ set: ['examples.enabled=true', 'examples.prometheusAddress=http://admin:pw@prometheus:9090'] });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/prometheusAddress/);
    });
  });

  describe('bridge authentication (engine.auth)', () => {
    const secrets = (docs: K8s[]) => docs.filter((doc) => doc.kind === 'Secret');
    const tokenOf = (secret: K8s) => Buffer.from(secret.data!.token!, 'base64').toString('utf8');

    it('generates one token into a Secret for the engine and a copy in the controller\'s namespace, and requires it', () => {
      const docs = ok();
      const [engineSecret, controllerSecret] = secrets(docs);
      expect(engineSecret!.metadata).toMatchObject({ name: 'rcv-rollouts-cv-engine-auth', namespace: 'rollouts-cv' });
      expect(controllerSecret!.metadata).toMatchObject({ name: 'rollouts-cv-engine-token', namespace: 'argo-rollouts' });
      const token = tokenOf(engineSecret!);
      expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(tokenOf(controllerSecret!)).toBe(token);
      // a new token at each render without a cluster to look the existing one up in (test/e2e/chart.e2e.ts
      // checks that an upgrade keeps it)
      expect(tokenOf(secrets(ok())[0]!)).not.toBe(token);
      const pod = only(docs, 'Deployment').spec.template.spec;
      const container = engineContainer(docs);
      expect(container.args).toContain(AUTH_TOKEN_FILE);
      expect(pod.volumes).toContainEqual({ name: 'auth', secret: { secretName: 'rcv-rollouts-cv-engine-auth', defaultMode: 0o440 } });
      expect(container.volumeMounts).toContainEqual({ name: 'auth', mountPath: '/etc/rollouts-cv/auth', readOnly: true });
      // the token is only ever in the Secrets: never in arguments, environment or ConfigMaps
      const elsewhere = JSON.stringify(docs.filter((doc) => doc.kind !== 'Secret'));
      expect(elsewhere).not.toContain(token);
    });

    it('uses an existing Secret instead, creating none (ci/argo-config-values.yaml)', () => {
      const docs = ok({ values: ['argo-config-values.yaml'] });
      expect(secrets(docs)).toEqual([]);
      expect(only(docs, 'Deployment').spec.template.spec.volumes).toContainEqual({ name: 'auth', secret: { secretName: 'platform-engine-token', defaultMode: 0o440 } });
      expect(engineContainer(docs).args).toContain(AUTH_TOKEN_FILE);
    });

    it('turns off with engine.auth.enabled=false (ci/tls-values.yaml: mutual TLS instead)', () => {
      const docs = ok({ values: ['tls-values.yaml'], set: ['argoRollouts.config.create=true'] });
      expect(secrets(docs)).toEqual([]);
      expect(engineContainer(docs).args.join(' ')).not.toContain('--auth-token-file');
      expect(only(docs, 'ConfigMap').data!.metricProviderPlugins).not.toContain('--engine-token-file');
    });

    it('passes engine.rbac.namespaces to the engine as --approval-namespaces (ci/bot-socket-values.yaml)', () => {
      expect(engineContainer(component(ok({ values: ['bot-socket-values.yaml'] }), 'engine')).args).toContain('--approval-namespaces=checkout,payments');
      expect(engineContainer(ok()).args.join(' ')).not.toContain('--approval-namespaces');
    });
  });

  describe('engine RBAC for approval gates', () => {
    it('mounts no token and grants nothing when engine.rbac.approvalRequests and engine.reports are off', () => {
      const docs = ok({ set: ['engine.rbac.approvalRequests=false', 'engine.reports.enabled=false'] });
      expect(only(docs, 'ServiceAccount').automountServiceAccountToken).toBe(false);
      expect(only(docs, 'Deployment').spec.template.spec.automountServiceAccountToken).toBe(false);
      expect(docs.filter((doc) => doc.apiVersion.startsWith('rbac.authorization.k8s.io/'))).toEqual([]);
    });

    it('binds a Role in each listed namespace instead of a ClusterRole (ci/bot-socket-values.yaml)', () => {
      const docs = component(ok({ values: ['bot-socket-values.yaml'] }), 'engine');
      expect(docs.filter((doc) => doc.kind.startsWith('Cluster'))).toEqual([]);
      const roles = docs.filter((doc) => doc.kind === 'Role');
      expect(roles.map((role) => role.metadata.namespace)).toEqual(['checkout', 'payments']);
      for (const role of roles) expect(role.rules).toEqual(ENGINE_RULES);
      const bindings = docs.filter((doc) => doc.kind === 'RoleBinding');
      expect(bindings.map((binding) => [binding.metadata.namespace, binding.roleRef!.kind, binding.roleRef!.name])).toEqual([
        ['checkout', 'Role', 'rcv-rollouts-cv-engine'],
        ['payments', 'Role', 'rcv-rollouts-cv-engine'],
      ]);
      for (const binding of bindings) expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rcv-rollouts-cv-engine', namespace: 'rollouts-cv' }]);
      expect(only(docs, 'Deployment').spec.template.spec.automountServiceAccountToken).toBe(true);
    });

    it('binds an existing ServiceAccount when the chart does not create one', () => {
      const docs = ok({ set: ['engine.serviceAccount.create=false', 'engine.serviceAccount.name=platform-engine'] });
      expect(docs.filter((doc) => doc.kind === 'ServiceAccount')).toEqual([]);
      expect(only(docs, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'platform-engine', namespace: 'rollouts-cv' }]);
    });
  });

  describe('CRDs (crds/)', () => {
    const crds = () => ok({ args: ['--include-crds'] }).filter((doc) => doc.kind === 'CustomResourceDefinition');

    it('are rendered with --include-crds, and left to Helm\'s install-only handling otherwise', () => {
      expect(crds().map((crd) => [crd.metadata.name, crd.spec.names.kind, crd.spec.scope])).toEqual([
        ['approvalrequests.rollouts-cv.io', 'ApprovalRequest', 'Namespaced'],
        ['logtemplatefeedbacks.rollouts-cv.io', 'LogTemplateFeedback', 'Namespaced'],
        ['pipelineruns.rollouts-cv.io', 'PipelineRun', 'Namespaced'],
        ['pipelines.rollouts-cv.io', 'Pipeline', 'Namespaced'],
      ]);
      for (const crd of crds()) {
        expect(crd.spec.group).toBe('rollouts-cv.io');
        expect(crd.spec.versions.map((v: { name: string; served: boolean; storage: boolean }) => [v.name, v.served, v.storage])).toEqual([['v1alpha1', true, true]]);
      }
      // Status is the controllers' to write: a subresource where someone else writes spec.
      const status = Object.fromEntries(crds().map((crd) => [crd.spec.names.kind, crd.spec.versions[0].subresources]));
      expect(status).toEqual({ ApprovalRequest: { status: {} }, LogTemplateFeedback: undefined, PipelineRun: { status: {} }, Pipeline: undefined });
      expect(ok().filter((doc) => doc.kind === 'CustomResourceDefinition')).toEqual([]);
    });

    it('name the group and resources the RBAC rules grant', () => {
      const plurals = crds().flatMap((crd) => [crd.spec.names.plural, `${crd.spec.names.plural}/status`]);
      for (const rule of [...ENGINE_RULES, ...BOT_RULES, ...PIPELINES_RULES].filter((r) => r.apiGroups.includes('rollouts-cv.io'))) {
        for (const resource of rule.resources) expect(plurals).toContain(resource);
      }
    });
  });

  describe('Slack bot', () => {
    it('renders nothing of the bot by default, and installs without Slack secrets', () => {
      const docs = ok();
      expect(component(docs, 'bot')).toEqual([]);
      expect(docs.filter((doc) => doc.metadata.name.includes('-bot'))).toEqual([]);
    });

    it('refuses to render without the Slack Secret, saying how to create it', () => {
      const result = render({ set: ['bot.enabled=true'] });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('bot.enabled needs bot.slack.existingSecret');
      expect(result.stderr).toContain('kubectl -n rollouts-cv create secret generic rollouts-cv-slack --from-literal=bot-token=xoxb-... --from-literal=signing-secret=...');
      const socket = render({ set: ['bot.enabled=true', 'bot.mode=socket'] });
      expect(socket.stderr).toContain('--from-literal=app-token=xapp-...');
    });

    it('never takes Slack credentials from values', () => {
      for (const key of ['bot.slack.botToken=xoxb-1', 'bot.slack.signingSecret=abc', 'bot.slackBotToken=xoxb-1']) {
        const result = render({ set: [...BOT_SECRET, key] });
        expect(result.status, key).not.toBe(0);
        expect(result.stderr, key).toMatch(/additional propert/i);
      }
      expect(component(ok({ set: BOT_SECRET }), 'bot').filter((doc) => doc.kind === 'Secret')).toEqual([]);
    });

    describe('http mode behind an Ingress, with impersonation (ci/bot-values.yaml)', () => {
      const docs = ok({ values: ['bot-values.yaml'] });
      const values = ciValues('bot-values.yaml').bot;
      const deployment = botDoc(docs, 'Deployment');
      const pod = deployment.spec.template.spec;
      const container = botContainer(docs);

      it('runs `rollouts-cv bot` from the engine image with its config, port, Lease and channel', () => {
        expect(deployment.metadata.name).toBe('rcv-rollouts-cv-bot');
        expect(deployment.spec.replicas).toBe(2);
        expect(container.image).toBe(engineContainer(component(docs, 'engine')).image);
        expect(container.args).toEqual([
          'bot',
          '--config=/etc/rollouts-cv/bot/config.yaml',
          '--listen=0.0.0.0:3000',
          '--lease-namespace=rollouts-cv',
          '--lease-name=rcv-rollouts-cv-bot',
          '--log-level=info',
          '--default-channel=C0APPROVALS',
        ]);
        expect(container.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
      });

      it('takes its identity from the downward API and the Slack credentials from the Secret only', () => {
        expect(container.env).toEqual([
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'SLACK_BOT_TOKEN', valueFrom: { secretKeyRef: { name: 'rollouts-cv-slack', key: 'bot-token' } } },
          { name: 'SLACK_SIGNING_SECRET', valueFrom: { secretKeyRef: { name: 'rollouts-cv-slack', key: 'signing-secret' } } },
        ]);
      });

      it('probes /readyz and /healthz, and runs non-root, read-only, without capabilities', () => {
        expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
        expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expectHardened(pod, container);
      });

      it('mounts its ServiceAccount token (it calls the Kubernetes API)', () => {
        const account = botDoc(docs, 'ServiceAccount');
        expect(pod.serviceAccountName).toBe(account.metadata.name);
        expect(pod.automountServiceAccountToken).toBe(true);
        expect(account.automountServiceAccountToken).toBe(true);
      });

      it('mounts a ConfigMap holding exactly bot.config, which the bot\'s own parser accepts', () => {
        const config = botDoc(docs, 'ConfigMap');
        expect(Object.keys(config.data!)).toEqual(['config.yaml']);
        const rendered = parse(config.data!['config.yaml']!);
        expect(rendered).toEqual(values.config);
        const parsed = parseBotConfig(rendered);
        expect(parsed.environments.map((e) => [e.name, e.protected])).toEqual([
          ['staging', false],
          ['prod', true],
        ]);
        expect(parsed.impersonation?.users).toEqual({ U0ONCALL: 'oncall@example.com', U0ALICE: 'alice@example.com' });
        expect(parsed.intervention).toEqual({ timeout: 30 * 60_000, onTimeout: 'rollback' });
        expect(pod.volumes).toContainEqual({ name: 'config', configMap: { name: config.metadata.name } });
        expect(container.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/rollouts-cv/bot', readOnly: true });
      });

      it('rolls the pods when the config changes, and only then', () => {
        const checksum = (d: K8s[]) => botDoc(d, 'Deployment').spec.template.metadata.annotations['checksum/config'] as string;
        expect(checksum(docs)).toMatch(/^[a-f0-9]{64}$/);
        expect(checksum(ok({ values: ['bot-values.yaml'] }))).toBe(checksum(docs));
        expect(checksum(ok({ values: ['bot-values.yaml'], set: ['bot.config.groupCacheTtl=2m'] }))).not.toBe(checksum(docs));
        expect(checksum(ok({ values: ['bot-values.yaml'], set: ['bot.replicas=3'] }))).toBe(checksum(docs));
      });

      it('serves Slack through the Service and an Ingress for /slack/events only', () => {
        const service = botDoc(docs, 'Service');
        expect(service.spec.ports).toEqual([{ name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' }]);
        expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
        expect(service.spec.selector['app.kubernetes.io/component']).toBe('bot');
        const ingress = botDoc(docs, 'Ingress');
        expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
        expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
        expect(ingress.spec.ingressClassName).toBe('nginx');
        expect(ingress.spec.tls).toEqual([{ secretName: 'rollouts-cv-bot-tls', hosts: ['rollouts-cv.example.com'] }]);
        expect(ingress.spec.rules).toEqual([
          {
            host: 'rollouts-cv.example.com',
            http: { paths: [{ path: '/slack/events', pathType: 'Exact', backend: { service: { name: service.metadata.name, port: { name: 'http' } } } }] },
          },
        ]);
      });

      it('grants only what the bot does as itself, plus impersonation of the mapped identities only: people\'s writes go impersonated', () => {
        const role = botDoc(docs, 'ClusterRole');
        expect(role.rules).toEqual([
          ...BOT_OWN_RULES,
          { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['alice@example.com', 'oncall@example.com'] },
          { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: ['rollouts-operators'] },
        ]);
        // set image (PUT of the Rollout or Deployment) and undo of a workloadRef are people's writes only
        const grants = (group: string, resource: string, verb: string) =>
          role.rules!.some((rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes(verb));
        expect(grants('argoproj.io', 'rollouts', 'update')).toBe(false);
        expect(['get', 'update', 'patch'].filter((verb) => grants('apps', 'deployments', verb))).toEqual([]);
        expect(grants('apps', 'replicasets', 'patch')).toBe(false);
        const binding = botDoc(docs, 'ClusterRoleBinding');
        expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'rollouts-cv' }]);
      });

      it('keeps its Lease grants to a Role in the release namespace, get and update on its own Lease only', () => {
        const role = botDoc(docs, 'Role');
        expect(role.metadata.namespace).toBe('rollouts-cv');
        expect(role.rules).toEqual([
          { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
          { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['rcv-rollouts-cv-bot'], verbs: ['get', 'update'] },
        ]);
        expect(container.args).toContain(`--lease-name=${role.rules![1]!.resourceNames![0]}`);
        const binding = botDoc(docs, 'RoleBinding');
        expect(binding.metadata.namespace).toBe('rollouts-cv');
        expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'rollouts-cv' }]);
        const clusterScoped = component(docs, 'bot').filter((doc) => doc.kind.startsWith('Cluster'));
        expect(clusterScoped.flatMap((doc) => doc.rules ?? []).filter((rule) => rule.apiGroups.includes('coordination.k8s.io'))).toEqual([]);
      });

      it('admits the ingress controller to its port and leaves egress open', () => {
        const policy = botDoc(docs, 'NetworkPolicy');
        expect(deployment.spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
        expect(policy.spec.policyTypes).toEqual(['Ingress']);
        expect(policy.spec.ingress).toEqual([
          { ports: [{ port: 'http', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] },
        ]);
        expect(policy.spec.egress).toBeUndefined();
        // The engine's policy still admits only the controller.
        expect(only(component(docs, 'engine'), 'NetworkPolicy').spec.ingress[0].from[0].podSelector).toBeDefined();
      });

      it('keeps a replica during voluntary disruptions', () => {
        const pdb = botDoc(docs, 'PodDisruptionBudget');
        expect(pdb.spec.maxUnavailable).toBe(1);
        expect(deployment.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
        expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
      });
    });

    describe('Socket Mode (ci/bot-socket-values.yaml)', () => {
      const docs = ok({ values: ['bot-socket-values.yaml'] });
      const container = botContainer(docs);

      it('needs no Service or Ingress', () => {
        expect(component(docs, 'bot').map((doc) => doc.kind).sort()).toEqual([
          'ClusterRole',
          'ClusterRoleBinding',
          'ConfigMap',
          'Deployment',
          'NetworkPolicy',
          'PodDisruptionBudget',
          'Role',
          'RoleBinding',
          'ServiceAccount',
        ]);
      });

      it('passes the app-level token instead of the signing secret, under the configured key names', () => {
        const slack = container.env.filter((e: { name: string }) => e.name.startsWith('SLACK_'));
        expect(slack).toEqual([
          { name: 'SLACK_BOT_TOKEN', valueFrom: { secretKeyRef: { name: 'slack-app', key: 'token' } } },
          { name: 'SLACK_APP_TOKEN', valueFrom: { secretKeyRef: { name: 'slack-app', key: 'socket-token' } } },
        ]);
        expect(container.args).toContain('--log-level=debug');
        expect(container.args.join(' ')).not.toContain('--default-channel');
        expect(botDoc(docs, 'Deployment').spec.replicas).toBe(3);
      });

      it('still probes the health port, and grants no impersonation', () => {
        expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
        expect(botDoc(docs, 'ClusterRole').rules).toEqual(BOT_RULES);
      });

      it('has a config the bot\'s own parser accepts', () => {
        const rendered = parse(botDoc(docs, 'ConfigMap').data!['config.yaml']!);
        expect(rendered).toEqual(ciValues('bot-socket-values.yaml').bot.config);
        expect(parseBotConfig(rendered).groupCacheTtl).toBe(5 * 60_000);
      });

      it('refuses an Ingress, which nothing would serve', () => {
        const result = render({ values: ['bot-socket-values.yaml'], set: ['bot.ingress.enabled=true'] });
        expect(result.status).not.toBe(0);
        expect(result.stderr).toContain('bot.ingress.enabled needs bot.mode http');
      });
    });

    describe('defaults with the Secret', () => {
      const docs = ok({ set: BOT_SECRET });

      it('renders an empty config the bot accepts (one cluster, its own), and no Ingress', () => {
        const rendered = parse(botDoc(docs, 'ConfigMap').data!['config.yaml']!);
        expect(rendered).toEqual({});
        expect(parseBotConfig(rendered).clusters).toEqual([{ name: 'default' }]);
        expect(component(docs, 'bot').filter((doc) => doc.kind === 'Ingress')).toEqual([]);
      });

      it('grants impersonation only when asked', () => {
        expect(botDoc(docs, 'ClusterRole').rules).toEqual(BOT_RULES);
        const mapped = ok({ values: ['bot-values.yaml'], set: ['bot.rbac.impersonate=false'] });
        expect(botDoc(mapped, 'ClusterRole').rules).toEqual(BOT_RULES);
        const unmapped = render({ set: [...BOT_SECRET, 'bot.rbac.impersonate=true'] });
        expect(unmapped.status).not.toBe(0);
        expect(unmapped.stderr).toContain('bot.rbac.impersonate needs bot.config.impersonation.users');
      });

      it('admits anyone to its port (Slack\'s addresses are not fixed) and restricts egress only when asked', () => {
        expect(botDoc(docs, 'NetworkPolicy').spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
        const restricted = botDoc(
          ok({ set: [...BOT_SECRET, 'bot.networkPolicy.egress.restrict=true'], json: ['bot.networkPolicy.egress.rules=[{"ports":[{"port":443,"protocol":"TCP"}]}]'] }),
          'NetworkPolicy',
        );
        expect(restricted.spec.policyTypes).toEqual(['Ingress', 'Egress']);
        expect(restricted.spec.egress).toHaveLength(2);
        expect(restricted.spec.egress[0].ports).toEqual([
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ]);
        expect(restricted.spec.egress[1]).toEqual({ ports: [{ port: 443, protocol: 'TCP' }] });
      });

      it('leaves RBAC to the operator with bot.rbac.create=false', () => {
        const noRbac = component(ok({ set: [...BOT_SECRET, 'bot.rbac.create=false'] }), 'bot');
        expect(noRbac.filter((doc) => doc.apiVersion.startsWith('rbac.authorization.k8s.io/'))).toEqual([]);
      });

      it('uses the engine image unless told otherwise', () => {
        const image = (set: string[]) => botContainer(ok({ set: [...BOT_SECRET, ...set] })).image;
        expect(image([])).toBe('ghcr.io/rollouts-cv/rollouts-cv/engine:0.1.0');
        expect(image(['engine.image.tag=0.2.0'])).toBe('ghcr.io/rollouts-cv/rollouts-cv/engine:0.2.0');
        expect(image(['bot.image.tag=0.2.1'])).toBe('ghcr.io/rollouts-cv/rollouts-cv/engine:0.2.1');
        expect(image(['bot.image.repository=registry.example.com/rollouts-cv'])).toBe('registry.example.com/rollouts-cv:0.1.0');
        const digest = `sha256:${'a'.repeat(64)}`;
        expect(image([`engine.image.digest=${digest}`])).toBe(`ghcr.io/rollouts-cv/rollouts-cv/engine@${digest}`);
      });

      it('rejects unknown keys and a mode that does not exist', () => {
        expect(render({ set: [...BOT_SECRET, 'bot.replicaCount=3'] }).stderr).toMatch(/additional propert/i);
        expect(render({ set: [...BOT_SECRET, 'bot.mode=rtm'] }).status).not.toBe(0);
      });
    });
  });

  describe('pipelines controller', () => {
    const PIPELINES = ['pipelines.enabled=true', 'pipelines.credentialNamespaces={releases,platform}'];

    it('renders nothing by default', () => {
      expect(component(ok(), 'pipelines')).toEqual([]);
    });

    it('runs `rollouts-cv pipelines` from its own image, hardened, with its Lease, probes and a /tmp for git', () => {
      const docs = component(ok({ set: PIPELINES }), 'pipelines');
      const deployment = only(docs, 'Deployment');
      const pod = deployment.spec.template.spec;
      const [container] = pod.containers;
      expect(container.image).toBe(`ghcr.io/rollouts-cv/rollouts-cv/pipelines:${parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')).appVersion}`);
      expect(container.args).toEqual([
        'pipelines',
        '--listen=0.0.0.0:8081',
        '--lease-namespace=rollouts-cv',
        '--lease-name=rcv-rollouts-cv-pipelines',
        '--commit-author=rollouts-cv <rollouts-cv@localhost>',
        '--log-level=info',
      ]);
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expectHardened(pod, container);
      expect(pod.serviceAccountName).toBe('rcv-rollouts-cv-pipelines');
    });

    it('grants what its steps do cluster-wide, its Lease in the release namespace, and Secrets only in credentialNamespaces', () => {
      const docs = component(ok({ set: PIPELINES }), 'pipelines');
      const clusterRole = only(docs, 'ClusterRole');
      expect(clusterRole.rules).toEqual(PIPELINES_RULES);
      const roles = docs.filter((doc) => doc.kind === 'Role').map((role) => [role.metadata.namespace, role.rules]);
      expect(roles).toEqual([
        [
          'rollouts-cv',
          [
            { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
            { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['rcv-rollouts-cv-pipelines'], verbs: ['get', 'update'] },
          ],
        ],
        ['releases', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]],
        ['platform', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]],
      ]);
      const bindings = docs.filter((doc) => doc.kind === 'RoleBinding' || doc.kind === 'ClusterRoleBinding');
      for (const binding of bindings) expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rcv-rollouts-cv-pipelines', namespace: 'rollouts-cv' }]);
      expect(bindings).toHaveLength(4);
      // Without credentialNamespaces, no Secret at all.
      const none = component(ok({ set: ['pipelines.enabled=true'] }), 'pipelines');
      expect(none.flatMap((doc) => doc.rules ?? []).filter((rule) => rule.resources.includes('secrets'))).toEqual([]);
    });

    it('admits a PipelineRun only when it names its creator: a Kubernetes user themselves, a Slack user only from the bot', () => {
      const policy = (set: string[]) => only(component(ok({ set }), 'pipelines'), 'ValidatingAdmissionPolicy').spec.validations.map((v: { expression: string }) => v.expression);
      expect(policy(PIPELINES)).toEqual([
        "object.spec.triggeredBy.kind != 'kubernetes' || object.spec.triggeredBy.id == request.userInfo.username",
        "object.spec.triggeredBy.kind != 'slack'",
      ]);
      expect(policy([...PIPELINES, ...BOT_SECRET])[1]).toBe("object.spec.triggeredBy.kind != 'slack' || request.userInfo.username == 'system:serviceaccount:rollouts-cv:rcv-rollouts-cv-bot'");
      const binding = only(component(ok({ set: PIPELINES }), 'pipelines'), 'ValidatingAdmissionPolicyBinding');
      expect(binding.spec).toEqual({ policyName: 'rcv-rollouts-cv-pipelines-pipelinerun-trigger', validationActions: ['Deny'] });
    });

    it('takes its values from ci/pipelines-values.yaml', () => {
      const docs = component(ok({ values: ['pipelines-values.yaml'] }), 'pipelines');
      expect(only(docs, 'Deployment').spec.template.spec.containers[0].args).toContain('--commit-author=Release Bot <release@example.com>');
      expect(docs.filter((doc) => doc.kind === 'Role').map((role) => role.metadata.namespace)).toEqual(['rollouts-cv', 'releases', 'platform-releases']);
    });

    it('rejects a commit author that is not "Name <email>", a namespace that cannot exist and unknown keys', () => {
      expect(render({ set: ['pipelines.enabled=true', 'pipelines.commitAuthor=release-bot'] }).status).not.toBe(0);
      expect(render({ set: ['pipelines.enabled=true', 'pipelines.credentialNamespaces={Releases}'] }).status).not.toBe(0);
      expect(render({ set: ['pipelines.enabled=true', 'pipelines.replicaCount=2'] }).stderr).toMatch(/additional propert/i);
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
