// The bot's configuration file (YAML): clusters, environments, channel defaults and roles. Validated once at
// start; every error names the field and the expected form.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { OperatorPolicy } from '../shared/approvals/request.js';
import { durationField } from '../shared/config/duration.js';
import { ConfigError, parseConfig } from '../shared/config/errors.js';
import { slackChannelId as slackChannel, slackGroupId as slackGroup, slackUserId as slackUser } from '../shared/slack-ids.js';

/** What a role may do. `view` covers help, list and status; `approve` covers approval and intervention buttons. */
export const PERMISSIONS = ['view', 'promote', 'abort', 'retry', 'undo', 'pause', 'resume', 'restart', 'deploy', 'approve'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const name = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
  error: (issue) => `expected a lowercase name of letters, digits and "-" (at most 63); got ${JSON.stringify(issue.input)}`,
});

const clusterSchema = z.strictObject({
  name,
  /** kubeconfig context; absent means the in-cluster service account (or the current context). */
  context: z.string().min(1).optional(),
});

const environmentSchema = z.strictObject({
  name,
  cluster: name.optional(),
  /** Namespaces that make up this environment in its cluster. */
  namespaces: z.array(z.string().min(1)).min(1),
  /** Abort, undo and deploy ask for confirmation here. */
  protected: z.boolean().default(false),
  /** Where notifications and approval requests of this environment go. */
  channel: slackChannel.optional(),
  /** Floors of every approval and intervention request here, whatever the gate asks for. */
  approvals: z.strictObject({ minApprovals: z.int({ error: (issue) => `expected a whole number from 1 to 10; got ${JSON.stringify(issue.input)}` }).min(1).max(10).default(1) }).prefault({}),
});

const channelSchema = z.strictObject({
  id: slackChannel,
  cluster: name.optional(),
  namespace: z.string().min(1),
});

const roleSchema = z.strictObject({
  name,
  users: z.array(slackUser).default([]),
  groups: z.array(slackGroup).default([]),
  /** Environments the role applies to; "*" for all. */
  environments: z.array(z.union([name, z.literal('*')])).min(1),
  allow: z.array(z.enum(PERMISSIONS)).min(1),
});

const impersonationSchema = z.strictObject({
  /** Kubernetes user name per Slack user ID; a user without one may not act when impersonation is on. */
  users: z.record(slackUser, z.string().min(1)),
  /** Kubernetes groups sent with every impersonated request. */
  groups: z.array(z.string().min(1)).default([]),
});

/**
 * The engine's report server as the bot reaches it (an in-cluster address): the only host it fetches report images
 * from, whatever link a request carries (slack/report-image.ts).
 */
const engineUrl = z
  .url({
    protocol: /^https?$/,
    abort: true,
    error: (issue) => (typeof issue.input === 'string' ? `expected the engine's report server as an http(s) URL, e.g. "http://rollouts-cv-engine.rollouts-cv.svc:8082"; got ${JSON.stringify(issue.input)}` : undefined),
  })
  .max(2048)
  .refine((text) => {
    const url = new URL(text);
    return !url.username && !url.password && !url.search && !url.hash;
  }, 'expected an address without credentials, query or fragment, e.g. "http://rollouts-cv-engine.rollouts-cv.svc:8082" (a path prefix such as "/rollouts-cv" is allowed)');

const configSchema = z
  .strictObject({
    clusters: z.array(clusterSchema).min(1).default([{ name: 'default' }]),
    environments: z.array(environmentSchema).default([]),
    channels: z.array(channelSchema).default([]),
    roles: z.array(roleSchema).default([]),
    impersonation: impersonationSchema.optional(),
    /** How long user group memberships are cached (Slack rate-limits usergroups.users.list). */
    groupCacheTtl: durationField({ min: 0 }).prefault('60s'),
    /** Intervention on a rollout paused by an Inconclusive analysis: how long to wait, then what to do. */
    intervention: z
      .strictObject({ timeout: durationField({ min: 60_000 }).prefault('1h'), onTimeout: z.enum(['rollback', 'promote']).default('rollback') })
      .prefault({}),
    /** Where the bot fetches a verification's charts to post them with an intervention; none when absent. */
    reports: z.strictObject({ engineUrl }).optional(),
  })
  .superRefine((config, ctx) => {
    const clusters = new Set(config.clusters.map((c) => c.name));
    const environments = new Set(config.environments.map((e) => e.name));
    const unique = (values: string[], path: string) =>
      values.forEach((value, i) => {
        if (values.indexOf(value) !== i) ctx.addIssue({ code: 'custom', path: [path, i, path === 'channels' ? 'id' : 'name'], message: `duplicate "${value}"` });
      });
    unique(config.clusters.map((c) => c.name), 'clusters');
    unique(config.environments.map((e) => e.name), 'environments');
    unique(config.channels.map((c) => c.id), 'channels');
    const knownCluster = (cluster: string | undefined, path: (string | number)[]) => {
      if (cluster && !clusters.has(cluster)) ctx.addIssue({ code: 'custom', path, message: `expected one of the clusters (${[...clusters].join(', ')}); got "${cluster}"` });
    };
    config.environments.forEach((e, i) => knownCluster(e.cluster, ['environments', i, 'cluster']));
    config.channels.forEach((c, i) => knownCluster(c.cluster, ['channels', i, 'cluster']));
    config.roles.forEach((role, i) => {
      role.environments.forEach((env, j) => {
        if (env !== '*' && !environments.has(env)) {
          ctx.addIssue({ code: 'custom', path: ['roles', i, 'environments', j], message: `expected "*" or one of the environments (${[...environments].join(', ') || 'none defined'}); got "${env}"` });
        }
      });
      if (role.users.length === 0 && role.groups.length === 0) ctx.addIssue({ code: 'custom', path: ['roles', i], message: 'expected at least one of users, groups' });
    });
  });

export type BotConfig = z.output<typeof configSchema>;
export type EnvironmentConfig = BotConfig['environments'][number];
export type RoleConfig = BotConfig['roles'][number];

export function parseBotConfig(raw: unknown): BotConfig {
  return parseConfig(configSchema, raw ?? {}, 'config');
}

export function loadBotConfig(file: string): BotConfig {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([`${file}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return parseBotConfig(raw);
}

/** The first cluster is the default one. */
export function defaultCluster(config: BotConfig): string {
  return config.clusters[0]!.name;
}

/** The environment a namespace of a cluster belongs to, if any. */
export function environmentOf(config: BotConfig, cluster: string, namespace: string): EnvironmentConfig | undefined {
  return config.environments.find((e) => (e.cluster ?? defaultCluster(config)) === cluster && e.namespaces.includes(namespace));
}

/** What an environment's configuration says about approvals there. */
export function operatorPolicy(environment: EnvironmentConfig): OperatorPolicy {
  return { environment: environment.name, protected: environment.protected, minApprovals: environment.approvals.minApprovals };
}
