import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Actor, decisionRefusal, permits } from './auth/roles.js';
import { environmentOf, loadBotConfig, parseBotConfig } from './config.js';

const config = parseBotConfig({
  clusters: [{ name: 'prod-eu', context: 'prod-eu' }, { name: 'staging' }],
  environments: [
    { name: 'production', cluster: 'prod-eu', namespaces: ['shop'], protected: true, channel: 'CPROD' },
    { name: 'staging', cluster: 'staging', namespaces: ['shop'] },
  ],
  channels: [{ id: 'CPROD', cluster: 'prod-eu', namespace: 'shop' }],
  roles: [
    { name: 'viewers', groups: ['SEVERYONE'], environments: ['*'], allow: ['view'] },
    { name: 'releasers', users: ['UALICE'], groups: ['SRELEASE'], environments: ['production'], allow: ['view', 'promote', 'approve', 'abort'] },
    { name: 'devs', users: ['UBOB'], environments: ['staging'], allow: ['deploy', 'promote'] },
  ],
});

const actor = (userId: string, ...groups: string[]): Actor => ({ userId, groups: new Set(groups) });

describe('bot config', () => {
  it('fills defaults', () => {
    expect(parseBotConfig({})).toMatchObject({ clusters: [{ name: 'default' }], roles: [], groupCacheTtl: 60_000, intervention: { timeout: 3_600_000, onTimeout: 'rollback' } });
    expect(config.environments[1]).toMatchObject({ protected: false, approvals: { minApprovals: 1 } });
  });

  it('names each invalid field and the expected form', () => {
    let message = '';
    try {
      parseBotConfig({
        clusters: [{ name: 'Prod' }],
        environments: [{ name: 'production', namespaces: [], approvals: { minApprovals: 0, maxApprovals: 3 } }],
        channels: [{ id: '#releases', namespace: 'shop' }],
        roles: [{ name: 'x', users: ['alice'], environments: ['*'], allow: ['delete'] }],
        groupCacheTtl: 'soon',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const expected of [
      'config.clusters[0].name: expected a lowercase name of letters, digits and "-" (at most 63); got "Prod"',
      'config.environments[0].namespaces: expected at least 1 item; got none',
      'config.channels[0].id: expected a Slack channel ID such as C0123ABCD; got "#releases"',
      'config.roles[0].users[0]: expected a Slack user ID such as U0123ABCD; got "alice"',
      'config.roles[0].allow[0]: expected one of view, promote, abort, retry, undo, pause, resume, restart, deploy, approve; got "delete"',
      'config.groupCacheTtl: expected a duration such as',
      'config.environments[0].approvals.minApprovals: expected a whole number from 1 to 10; got 0',
      'config.environments[0].approvals: unknown key "maxApprovals"; allowed keys: minApprovals',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it('checks references between sections', () => {
    expect(() => parseBotConfig({ clusters: [{ name: 'a' }], environments: [{ name: 'prod', cluster: 'b', namespaces: ['x'] }] })).toThrow(
      'config.environments[0].cluster: expected one of the clusters (a); got "b"',
    );
    expect(() => parseBotConfig({ roles: [{ name: 'r', users: ['U1AB'], environments: ['qa'], allow: ['view'] }] })).toThrow(
      'config.roles[0].environments[0]: expected "*" or one of the environments (none defined); got "qa"',
    );
    expect(() => parseBotConfig({ roles: [{ name: 'r', environments: ['*'], allow: ['view'] }] })).toThrow('config.roles[0]: expected at least one of users, groups');
  });

  it("takes the engine's report server as an http(s) address, a path prefix allowed, and nothing else", () => {
    expect(parseBotConfig({}).reports).toBeUndefined();
    for (const engineUrl of ['http://rollouts-cv-engine.rollouts-cv.svc:8082', 'https://rollouts-cv.example.com/rollouts-cv']) {
      expect(parseBotConfig({ reports: { engineUrl } }).reports).toEqual({ engineUrl });
    }
    const FORM = 'e.g. "http://rollouts-cv-engine.rollouts-cv.svc:8082"';
    expect(() => parseBotConfig({ reports: { engineUrl: 'file:///etc/passwd' } })).toThrow(`config.reports.engineUrl: expected the engine's report server as an http(s) URL, ${FORM}; got "file:///etc/passwd"`);
    expect(() => parseBotConfig({ reports: { engineUrl: 'rollouts-cv-engine:8082' } })).toThrow("config.reports.engineUrl: expected the engine's report server as an http(s) URL");
    for (const engineUrl of ['http://user:secret@rollouts-cv-engine:8082', 'http://rollouts-cv-engine:8082/?token=x', 'http://rollouts-cv-engine:8082/#reports']) {
      expect(() => parseBotConfig({ reports: { engineUrl } })).toThrow(`config.reports.engineUrl: expected an address without credentials, query or fragment, ${FORM}`);
    }
    expect(() => parseBotConfig({ reports: {} })).toThrow('config.reports.engineUrl: is required (expected a string)');
    expect(() => parseBotConfig({ reports: { engineUrl: 'http://e:8082', publicUrl: 'x' } })).toThrow('config.reports: unknown key "publicUrl"; allowed keys: engineUrl');
  });

  it('reads YAML files and says which file is broken', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bot-config-'));
    writeFileSync(join(dir, 'ok.yaml'), 'clusters:\n  - name: main\n');
    writeFileSync(join(dir, 'bad.yaml'), 'clusters: [\n');
    expect(loadBotConfig(join(dir, 'ok.yaml')).clusters).toEqual([{ name: 'main' }]);
    expect(() => loadBotConfig(join(dir, 'bad.yaml'))).toThrow(`${join(dir, 'bad.yaml')}:`);
  });

  it('maps a cluster and namespace to its environment', () => {
    expect(environmentOf(config, 'prod-eu', 'shop')?.name).toBe('production');
    expect(environmentOf(config, 'staging', 'shop')?.name).toBe('staging');
    expect(environmentOf(config, 'prod-eu', 'other')).toBeUndefined();
  });
});

describe('roles', () => {
  it('grants by user or group, per environment, and nothing by default', () => {
    expect(permits(config, actor('UALICE'), 'promote', 'production')).toBe(true);
    expect(permits(config, actor('UCAROL', 'SRELEASE'), 'abort', 'production')).toBe(true);
    expect(permits(config, actor('UCAROL', 'SRELEASE'), 'abort', 'staging')).toBe(false);
    expect(permits(config, actor('UBOB'), 'promote', 'production')).toBe(false);
    expect(permits(config, actor('UBOB'), 'deploy', 'staging')).toBe(true);
    expect(permits(config, actor('UDAVE', 'SEVERYONE'), 'view', undefined)).toBe(true);
    expect(permits(config, actor('UDAVE'), 'view', 'production')).toBe(false);
  });

  it('lets those with the approve permission decide; approvers a gate names only narrow them', () => {
    const request = (approvers?: { users?: string[]; groups?: string[] }) =>
      ({ metadata: { namespace: 'shop' }, spec: { rollout: { name: 'web' }, policy: { minApprovals: 1, allowSelfApproval: false, ...(approvers && { approvers }) } } }) as never;
    expect(decisionRefusal(config, actor('UALICE'), request(), 'production')).toBeUndefined();
    expect(decisionRefusal(config, actor('UBOB'), request(), 'production')).toBe('you are not allowed to decide requests of rollout shop/web in production');
    expect(decisionRefusal(config, actor('UALICE'), request({ groups: ['SONCALL'] }), 'production')).toBe('you are not among the approvers this gate names (SONCALL)');
    expect(decisionRefusal(config, actor('UBOB', 'SONCALL'), request({ groups: ['SONCALL'] }), 'production')).toBe('you are not allowed to decide requests of rollout shop/web in production');
    expect(decisionRefusal(config, actor('UCAROL', 'SRELEASE', 'SONCALL'), request({ groups: ['SONCALL'] }), 'production')).toBeUndefined();
  });
});
