// The chart's report pages (engine.reports), rendered by the pinned helm that scripts/helm.sh builds: loopback and
// port-forward by default; behind an Ingress, the listener, Service port, NetworkPolicy rule and Ingress that go
// together; for the bot's report images, the same listener and Service port admitted from the bot's pods only, and
// the engine's address in the bot's configuration; and the refusals that keep the unauthenticated pages from being
// exposed. The engine's flags are parsed by the engine's own command line, the bot's configuration by the bot's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseBotConfig } from '../../bot/config.js';
import { reportImageUrl } from '../../bot/slack/report-image.js';
import { registerEngine } from '../../cli/commands/engine.js';
import { chart, chartCopy, describeChart, helmRun, type K8s, ok, render, type RenderOptions } from '../helpers/chart.js';

const INGRESS = 'reports-ingress-values.yaml';
const BOT_IMAGES = 'bot-report-images-values.yaml';
const BOT = ['bot.enabled=true', 'bot.slack.existingSecret=rollouts-cv-slack'];
const BOT_SELECTOR = { 'app.kubernetes.io/name': 'rollouts-cv', 'app.kubernetes.io/instance': 'rcv', 'app.kubernetes.io/component': 'bot' };
const ENGINE = 'rcv-rollouts-cv-engine';
const AUTH = { 'nginx.ingress.kubernetes.io/auth-url': 'https://oauth2.example.com/oauth2/auth' };
const REPORTS_RULE = { apiGroups: ['argoproj.io'], resources: ['analysisruns', 'rollouts'], verbs: ['get'] };

function refused(options: RenderOptions): string {
  const result = render(options);
  expect(result.status, result.stdout).not.toBe(0);
  return result.stderr;
}

function engineDocs(docs: K8s[], kind: string): K8s[] {
  return docs.filter((doc) => doc.kind === kind && doc.metadata.labels?.['app.kubernetes.io/component'] === 'engine');
}

function only(docs: K8s[], kind: string): K8s {
  const found = engineDocs(docs, kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
}

function container(docs: K8s[]): { args: string[]; ports: { name: string; containerPort: number }[] } {
  return only(docs, 'Deployment').spec.template.spec.containers[0];
}

const reportArgs = (docs: K8s[]) => container(docs).args.filter((arg) => arg.startsWith('--report-'));
const portNames = (ports: { name: string }[]) => ports.map((port) => port.name);

type PolicyIngressRule = { ports: { port: string | number }[]; from?: unknown[] };

/** The engine's NetworkPolicy rules that admit the reports port, by name or number. */
function reportsRules(docs: K8s[]): PolicyIngressRule[] {
  const rules: PolicyIngressRule[] = only(docs, 'NetworkPolicy').spec.ingress;
  return rules.filter((rule) => rule.ports.some((port) => port.port === 'reports' || String(port.port) === '8082'));
}

function botDoc(docs: K8s[], kind: string): K8s {
  const found = docs.filter((doc) => doc.kind === kind && doc.metadata.labels?.['app.kubernetes.io/component'] === 'bot');
  expect(found, kind).toHaveLength(1);
  return found[0]!;
}

/** The bot's configuration file as the chart renders it. */
const botConfig = (docs: K8s[]): Record<string, unknown> => parse(botDoc(docs, 'ConfigMap').data!['config.yaml']!);

/** The options `rollouts-cv engine` parses from the rendered arguments: every flag exists and takes its value. */
async function engineOptions(args: string[]): Promise<Record<string, unknown>> {
  const program = new Command('rollouts-cv').exitOverride();
  registerEngine(program);
  let parsed: Record<string, unknown> | undefined;
  for (const command of program.commands) command.exitOverride().action((options: Record<string, unknown>) => void (parsed = options));
  await program.parseAsync(args, { from: 'user' });
  return parsed!;
}

describeChart('Helm chart: report pages', () => {
  it(`passes helm lint --strict with ci/${INGRESS}, ci/${BOT_IMAGES} and both`, () => {
    for (const files of [[INGRESS], [BOT_IMAGES], [INGRESS, BOT_IMAGES]]) {
      const result = helmRun(['lint', '--strict', chart, ...files.flatMap((file) => ['--values', join(chart, 'ci', file)])]);
      expect(result.status, `${files.join(',')}: ${result.stdout}${result.stderr}`).toBe(0);
    }
  });

  describe('defaults: loopback, reached with kubectl port-forward', () => {
    const docs = ok();

    it('listens on 127.0.0.1:8082 with the default cache, links to localhost, and declares the container port', async () => {
      expect(reportArgs(docs)).toEqual(['--report-listen=127.0.0.1:8082', '--report-cache-ttl=60s']);
      expect(container(docs).ports).toContainEqual({ name: 'reports', containerPort: 8082, protocol: 'TCP' });
      expect(await engineOptions(container(docs).args)).toMatchObject({ reportListen: '127.0.0.1:8082', reportCacheTtl: 60_000 });
    });

    it('exposes nothing: no Service port, no NetworkPolicy rule, no Ingress', () => {
      expect(portNames(only(docs, 'Service').spec.ports)).toEqual(['grpc', 'metrics']);
      const admitted = only(docs, 'NetworkPolicy').spec.ingress.flatMap((rule: { ports: { port: string }[] }) => rule.ports.map((port) => port.port));
      expect(admitted).toEqual(['grpc', 'metrics']);
      expect(docs.filter((doc) => doc.kind === 'Ingress')).toEqual([]);
    });

    it('lets the engine get AnalysisRuns, with its token mounted', () => {
      expect(only(docs, 'ClusterRole').rules).toContainEqual(REPORTS_RULE);
      expect(only(docs, 'Deployment').spec.template.spec.automountServiceAccountToken).toBe(true);
    });

    it('keeps the pages from the bot too: loopback, no rule for its pods, no engineUrl in its configuration', () => {
      const docs = ok({ set: BOT });
      expect(reportArgs(docs)[0]).toBe('--report-listen=127.0.0.1:8082');
      expect(portNames(only(docs, 'Service').spec.ports)).not.toContain('reports');
      expect(reportsRules(docs)).toEqual([]);
      expect(botConfig(docs)).toEqual({});
      expect(parseBotConfig(botConfig(docs)).reports).toBeUndefined();
    });

    it('honours listenAddress without the Ingress', () => {
      expect(reportArgs(ok({ set: ['engine.reports.listenAddress=[::1]', 'engine.reports.port=9000'] }))[0]).toBe('--report-listen=[::1]:9000');
    });
  });

  describe('engine.reports.enabled=false', () => {
    it('leaves out the flags, the port and the AnalysisRun grant', () => {
      const docs = ok({ set: ['engine.reports.enabled=false'] });
      expect(reportArgs(docs)).toEqual([]);
      expect(portNames(container(docs).ports)).not.toContain('reports');
      expect(portNames(only(docs, 'Service').spec.ports)).not.toContain('reports');
      expect(only(docs, 'ClusterRole').rules).not.toContainEqual(REPORTS_RULE);
    });

    it('still grants only the AnalysisRun read when approval gates have no access', () => {
      const docs = ok({ set: ['engine.rbac.approvalRequests=false'] });
      expect(only(docs, 'ClusterRole').rules).toEqual([REPORTS_RULE]);
      expect(only(docs, 'ServiceAccount').automountServiceAccountToken).toBe(true);
    });

    it('grants it in the Roles of engine.rbac.namespaces only', () => {
      const docs = ok({ set: ['engine.rbac.namespaces={checkout,payments}'] });
      expect(engineDocs(docs, 'ClusterRole')).toEqual([]);
      const roles = engineDocs(docs, 'Role');
      expect(roles).toHaveLength(2);
      for (const role of roles) expect(role.rules).toContainEqual(REPORTS_RULE);
    });
  });

  describe(`behind an Ingress with oauth2-proxy (ci/${INGRESS})`, () => {
    const docs = ok({ values: [INGRESS] });
    const values = parse(readFileSync(join(chart, 'ci', INGRESS), 'utf8'));

    it('listens on every interface for the ingress controller, with the public address and base path', async () => {
      expect(reportArgs(docs)).toEqual([
        '--report-listen=0.0.0.0:8082',
        '--report-url=https://rollouts-cv.example.com/rollouts-cv',
        '--report-base-path=/rollouts-cv',
        '--report-cache-ttl=2m',
      ]);
      expect(await engineOptions(container(docs).args)).toMatchObject({
        reportListen: '0.0.0.0:8082',
        reportUrl: 'https://rollouts-cv.example.com/rollouts-cv',
        reportBasePath: '/rollouts-cv',
        reportCacheTtl: 120_000,
      });
      // the Ingress needs the engine reachable on the pod's address: listenAddress does not apply
      expect(reportArgs(ok({ values: [INGRESS], set: ['engine.reports.listenAddress=127.0.0.1'] }))[0]).toBe('--report-listen=0.0.0.0:8082');
    });

    it('gives the Service a reports port onto the container port', () => {
      expect(only(docs, 'Service').spec.ports).toContainEqual({ name: 'reports', port: 8082, targetPort: 'reports', protocol: 'TCP', appProtocol: 'http' });
      expect(portNames(container(docs).ports)).toContain('reports');
    });

    it('admits the reports port from the ingress controller only, and no other rule admits it', () => {
      const reports = reportsRules(docs);
      expect(reports).toEqual([{ ports: [{ port: 'reports', protocol: 'TCP' }], from: values.networkPolicy.ingress.reportsFrom }]);
      expect(reports[0]!.from).not.toEqual([]);
    });

    it('routes the base path on publicUrl\'s host to the reports port, with the auth annotations', () => {
      const ingress = only(docs, 'Ingress');
      expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
      expect(ingress.metadata.annotations).toEqual(values.engine.reports.ingress.annotations);
      expect(ingress.metadata.annotations!['nginx.ingress.kubernetes.io/auth-url']).toBeDefined();
      expect(ingress.spec.ingressClassName).toBe('nginx');
      expect(ingress.spec.tls).toEqual([{ secretName: 'rollouts-cv-reports-tls', hosts: ['rollouts-cv.example.com'] }]);
      expect(ingress.spec.rules).toEqual([
        {
          host: 'rollouts-cv.example.com',
          http: { paths: [{ path: '/rollouts-cv', pathType: 'Prefix', backend: { service: { name: ENGINE, port: { name: 'reports' } } } }] },
        },
      ]);
      expect(only(docs, 'Service').metadata.name).toBe(ENGINE);
    });

    it('routes / on the host given, without a base path', () => {
      const ingress = only(ok({ values: [INGRESS], set: ['engine.reports.basePath=', 'engine.reports.publicUrl=https://reports.example.com:8443', 'engine.reports.ingress.host=reports.internal.example.com'] }), 'Ingress');
      expect(ingress.spec.rules[0].host).toBe('reports.internal.example.com');
      expect(ingress.spec.rules[0].http.paths[0].path).toBe('/');
      const fromUrl = only(ok({ values: [INGRESS], set: ['engine.reports.basePath=', 'engine.reports.publicUrl=https://reports.example.com:8443'] }), 'Ingress');
      expect(fromUrl.spec.rules[0].host).toBe('reports.example.com');
    });
  });

  describe(`images of the reports in the bot's intervention threads (ci/${BOT_IMAGES})`, () => {
    const docs = ok({ values: [BOT_IMAGES] });
    const values = parse(readFileSync(join(chart, 'ci', BOT_IMAGES), 'utf8'));
    const engineUrl = `http://${ENGINE}.rollouts-cv.svc:8082`;

    it('listens on every interface, for the bot, and still links to localhost (no Ingress)', async () => {
      expect(reportArgs(docs)).toEqual(['--report-listen=0.0.0.0:8082', '--report-cache-ttl=60s']);
      expect(await engineOptions(container(docs).args)).toMatchObject({ reportListen: '0.0.0.0:8082' });
      expect(reportArgs(ok({ values: [BOT_IMAGES], set: ['engine.reports.listenAddress=127.0.0.1'] }))[0]).toBe('--report-listen=0.0.0.0:8082');
      expect(docs.filter((doc) => doc.kind === 'Ingress')).toEqual([]);
    });

    it('gives the Service a reports port onto the container port', () => {
      expect(only(docs, 'Service').spec.ports).toContainEqual({ name: 'reports', port: 8082, targetPort: 'reports', protocol: 'TCP', appProtocol: 'http' });
    });

    it("admits the reports port from the bot's pods of this release and namespace only", () => {
      expect(reportsRules(docs)).toEqual([{ ports: [{ port: 'reports', protocol: 'TCP' }], from: [{ podSelector: { matchLabels: BOT_SELECTOR } }] }]);
      // the peer selects the bot's pods, and not the engine's
      const selects = (labels: Record<string, string>) => Object.entries(BOT_SELECTOR).every(([key, value]) => labels[key] === value);
      expect(selects(botDoc(docs, 'Deployment').spec.template.metadata.labels)).toBe(true);
      expect(selects(only(docs, 'Deployment').spec.template.metadata.labels)).toBe(false);
    });

    it("writes the Service's reports port into the bot's configuration, which the bot's parser accepts", () => {
      const rendered = botConfig(docs);
      expect(rendered).toEqual({ ...values.bot.config, reports: { engineUrl } });
      const parsed = parseBotConfig(rendered);
      expect(parsed.reports).toEqual({ engineUrl });
      expect(parsed.environments.map((e) => e.name)).toEqual(['prod']);
      expect(engineUrl).toBe(`http://${only(docs, 'Service').metadata.name}.${only(docs, 'Service').metadata.namespace}.svc:8082`);
    });

    it('follows the port and base path the engine serves under, and the bot asks it for a link\'s image there', () => {
      const moved = ok({ values: [BOT_IMAGES], set: ['engine.reports.port=9000', 'engine.reports.basePath=/rollouts-cv/'] });
      const url = parseBotConfig(botConfig(moved)).reports!.engineUrl;
      expect(url).toBe(`http://${ENGINE}.rollouts-cv.svc:9000/rollouts-cv`);
      expect(only(moved, 'Service').spec.ports).toContainEqual({ name: 'reports', port: 9000, targetPort: 'reports', protocol: 'TCP', appProtocol: 'http' });
      expect(reportImageUrl('https://rollouts-cv.example.com/rollouts-cv/reports/shop/web-7f5c9-2/error-rate', url)).toBe(
        `http://${ENGINE}.rollouts-cv.svc:9000/rollouts-cv/reports/shop/web-7f5c9-2/error-rate?format=png`,
      );
    });

    it('admits the ingress controller and the bot in one rule when the Ingress is on as well', () => {
      const both = ok({ values: [INGRESS, BOT_IMAGES] });
      const reportsFrom = parse(readFileSync(join(chart, 'ci', INGRESS), 'utf8')).networkPolicy.ingress.reportsFrom;
      expect(reportsRules(both)).toEqual([{ ports: [{ port: 'reports', protocol: 'TCP' }], from: [...reportsFrom, { podSelector: { matchLabels: BOT_SELECTOR } }] }]);
      expect(parseBotConfig(botConfig(both)).reports).toEqual({ engineUrl: `http://${ENGINE}.rollouts-cv.svc:8082/rollouts-cv` });
      expect(reportArgs(both)[0]).toBe('--report-listen=0.0.0.0:8082');
    });

    it('refuses it without the bot, without the pages, or with bot.config.reports of its own', () => {
      expect(refused({ values: [BOT_IMAGES], set: ['bot.enabled=false'] })).toContain('bot.reportImages.enabled needs bot.enabled');
      expect(refused({ set: ['bot.reportImages.enabled=true'] })).toContain('bot.reportImages.enabled needs bot.enabled');
      expect(refused({ values: [BOT_IMAGES], set: ['engine.reports.enabled=false'] })).toContain('bot.reportImages.enabled needs engine.reports.enabled');
      expect(refused({ values: [BOT_IMAGES], set: ['bot.config.reports.engineUrl=http://elsewhere.example.com:8082'] })).toContain('leave bot.config.reports out');
      // the bot's own setting stays available without the switch
      const own = ok({ set: [...BOT, 'bot.config.reports.engineUrl=http://reports.example.internal:8082'] });
      expect(parseBotConfig(botConfig(own)).reports).toEqual({ engineUrl: 'http://reports.example.internal:8082' });
      expect(reportsRules(own)).toEqual([]);
    });

    it('refuses, by the schema, anything but the switch', () => {
      expect(refused({ set: [...BOT, 'bot.reportImages.enabled=yes'] })).toContain('/bot/reportImages/enabled');
      expect(refused({ set: [...BOT, 'bot.reportImages.engineUrl=http://elsewhere.example.com'] })).toMatch(/additional propert/i);
    });
  });

  describe('refusals: the pages have no authentication of their own', () => {
    const bare = ['engine.reports.ingress.enabled=true', 'engine.reports.publicUrl=https://rollouts-cv.example.com', 'networkPolicy.ingress.reportsFrom[0].namespaceSelector.matchLabels.team=ingress'];

    it('refuses an Ingress with neither annotations nor allowUnauthenticated', () => {
      const stderr = refused({ set: bare });
      expect(stderr).toContain('engine.reports.ingress has no annotations: the report pages have no authentication of their own');
      expect(stderr).toContain('nginx.ingress.kubernetes.io/auth-url');
      expect(stderr).toContain('engine.reports.ingress.allowUnauthenticated=true');
      const authenticated = only(ok({ set: bare, json: [`engine.reports.ingress.annotations=${JSON.stringify(AUTH)}`] }), 'Ingress');
      expect(authenticated.metadata.annotations).toEqual(AUTH);
      const allowed = only(ok({ set: [...bare, 'engine.reports.ingress.allowUnauthenticated=true'] }), 'Ingress');
      expect(allowed.metadata.annotations).toBeUndefined();
    });

    it('refuses an Ingress without publicUrl, the address the links carry', () => {
      const stderr = refused({ values: [INGRESS], set: ['engine.reports.publicUrl=', 'engine.reports.basePath='] });
      expect(stderr).toContain('engine.reports.ingress.enabled needs engine.reports.publicUrl');
    });

    it('refuses an Ingress that pods could go around: no reportsFrom with the NetworkPolicy on', () => {
      const stderr = refused({ set: [...bare.slice(0, 2), 'engine.reports.ingress.allowUnauthenticated=true'] });
      expect(stderr).toContain('engine.reports.ingress.enabled needs networkPolicy.ingress.reportsFrom');
      expect(only(ok({ set: [...bare.slice(0, 2), 'engine.reports.ingress.allowUnauthenticated=true', 'networkPolicy.enabled=false'] }), 'Ingress')).toBeDefined();
    });

    it('refuses an Ingress without the pages, a publicUrl outside basePath, and a port of another listener', () => {
      expect(refused({ values: [INGRESS], set: ['engine.reports.enabled=false'] })).toContain('engine.reports.ingress.enabled needs engine.reports.enabled');
      expect(refused({ values: [INGRESS], set: ['engine.reports.publicUrl=https://rollouts-cv.example.com/elsewhere'] })).toContain(
        'engine.reports.publicUrl "https://rollouts-cv.example.com/elsewhere" must end with engine.reports.basePath "/rollouts-cv"',
      );
      expect(refused({ set: ['engine.reports.port=7070'] })).toContain('engine.reports.port 7070 is also engine.port');
      expect(refused({ set: ['engine.reports.port=8080'] })).toContain('engine.reports.port 8080 is also engine.metrics.port');
      expect(ok({ set: ['engine.reports.port=8080', 'engine.metrics.enabled=false'] })).not.toEqual([]);
    });

    it('refuses, by the schema, a publicUrl that would put secrets in links, and a listen address that is not an IP', () => {
      for (const url of ['https://user:secret@rollouts-cv.example.com', 'https://rollouts-cv.example.com/?token=abc', 'https://rollouts-cv.example.com/#x', 'ftp://rollouts-cv.example.com']) {
        expect(refused({ set: [`engine.reports.publicUrl=${url}`] }), url).toContain('/engine/reports/publicUrl');
      }
      expect(refused({ set: ['engine.reports.listenAddress=0.0.0.0:80 --log-level=trace'] })).toContain('/engine/reports/listenAddress');
      expect(refused({ set: ['engine.reports.basePath=rollouts-cv'] })).toContain('/engine/reports/basePath');
      expect(refused({ set: ['engine.reports.cacheTtl=soon'] })).toContain('/engine/reports/cacheTtl');
      for (const url of ['javascript:alert(1)', 'https://argo.example.com/rollouts?token=abc', 'https://user:pw@argo.example.com']) {
        expect(refused({ set: [`engine.reports.rolloutsDashboardUrl=${url}`] }), url).toContain('/engine/reports/rolloutsDashboardUrl');
      }
    });

    it('links the Rollout in the Argo Rollouts dashboard when its address is given', async () => {
      const { args } = container(ok({ set: ['engine.reports.rolloutsDashboardUrl=https://argo.example.com/rollouts'] }));
      expect(args.filter((arg) => arg.startsWith('--report-')).at(-1)).toBe('--report-rollouts-dashboard=https://argo.example.com/rollouts');
      expect(await engineOptions(args)).toMatchObject({ reportRolloutsDashboard: 'https://argo.example.com/rollouts' });
    });
  });

  describe('NOTES.txt', () => {
    const copy = chartCopy('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rendered}\ndata:\n  notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}\n');
    const notes = (options: RenderOptions = {}) => ok({ ...options, chartDir: copy }).find((doc) => doc.metadata.name === 'rendered')!.data!.notes!;

    it('says how to open the reports: a port-forward by default, the public address behind the Ingress', () => {
      expect(notes()).toContain(`kubectl -n rollouts-cv port-forward deploy/${ENGINE} 8082, then open the link (http://localhost:8082/reports/...)`);
      const ingress = notes({ values: [INGRESS] });
      expect(ingress).toContain('https://rollouts-cv.example.com/rollouts-cv/reports/<namespace>/<analysisrun>/<metric>');
      expect(ingress).not.toContain('port-forward');
      expect(notes({ set: ['engine.reports.enabled=false'] })).not.toContain('Report pages');
    });
  });
});
