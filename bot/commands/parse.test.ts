import { describe, expect, it } from 'vitest';
import { formatCommand, helpText, parseCommand } from './parse.js';

describe('parseCommand', () => {
  it.each([
    ['', { name: 'help' }],
    ['help', { name: 'help' }],
    ['list', { name: 'list', namespace: undefined, cluster: undefined }],
    ['list shop --cluster prod-eu', { name: 'list', namespace: 'shop', cluster: 'prod-eu' }],
    ['status web', { name: 'status', target: { name: 'web', namespace: undefined, cluster: undefined } }],
    ['status shop/web', { name: 'status', target: { name: 'web', namespace: 'shop', cluster: undefined } }],
    ['status prod-eu:shop/web', { name: 'status', target: { name: 'web', namespace: 'shop', cluster: 'prod-eu' } }],
    ['STATUS web -n shop --cluster=prod-eu', { name: 'status', target: { name: 'web', namespace: 'shop', cluster: 'prod-eu' } }],
    ['promote web', { name: 'promote', target: { name: 'web' }, full: false }],
    ['promote web --full', { name: 'promote', target: { name: 'web' }, full: true }],
    ['undo web --to-revision 3', { name: 'undo', target: { name: 'web' }, toRevision: 3 }],
    ['undo web', { name: 'undo', target: { name: 'web' } }],
    ['deploy web web=registry.example.com/web:1.4.2 sidecar=envoy:1.30', { name: 'deploy', target: { name: 'web' }, images: ['web=registry.example.com/web:1.4.2', 'sidecar=envoy:1.30'] }],
    ['approve shop/web-abc-s2', { name: 'approve', request: { name: 'web-abc-s2', namespace: 'shop' } }],
    ['reject web-abc-s2 “error budget” spent', { name: 'reject', request: { name: 'web-abc-s2' }, comment: 'error budget spent' }],
  ])('parses %j', (text, expected) => {
    expect(parseCommand(text)).toMatchObject(expected);
  });

  it.each([
    ['launch web', 'unknown command "launch". Try `/rollouts help`'],
    ['status', '`status` needs a rollout. Usage: `/rollouts status <rollout>`'],
    ['status web extra', 'unexpected "extra". Usage: `/rollouts status <rollout>`'],
    ['abort web --full', '`abort` has no option --full. Usage: `/rollouts abort <rollout>`'],
    ['status web -n', '-n needs a value'],
    ['status Web_1', '"Web_1" is not a valid rollout name'],
    ['status a/b/c', '"a/b/c" is not a rollout: expected name, namespace/name or cluster:namespace/name'],
    ['status shop/web -n other', 'the namespace is given twice: shop/ and -n other'],
    ['undo web --to-revision last', '--to-revision expects a revision number such as 3; got "last"'],
    ['deploy web', '`deploy` needs at least one <container>=<image>'],
    ['deploy web nginx:1.27', '"nginx:1.27" is not <container>=<image>'],
    ['list Shop', '"Shop" is not a valid namespace name'],
  ])('refuses %j', (text, message) => {
    expect(() => parseCommand(text)).toThrow(message);
  });

  it('lists every command in the help', () => {
    for (const command of ['list', 'status', 'promote', 'abort', 'retry', 'undo', 'pause', 'resume', 'restart', 'deploy', 'approve', 'reject']) {
      expect(helpText()).toContain(`/rollouts ${command}`);
    }
  });
});

describe('formatCommand', () => {
  it.each([
    'promote prod-eu:shop/web --full',
    'promote shop/web',
    'undo prod-eu:shop/web --to-revision 3',
    'deploy prod-eu:shop/web web=registry.example.com/web:1.4.2 sidecar=envoy:1.30',
    'restart prod-eu:shop/web',
  ])('writes %j back as the text parseCommand reads', (text) => {
    const command = parseCommand(text);
    if (!('target' in command) || command.name === 'status') throw new Error('not a rollout action');
    expect(formatCommand(command)).toBe(text);
    expect(parseCommand(formatCommand(command))).toEqual(command);
  });
});
