// The Slack app manifests request exactly the scopes the bot's calls need: every Web API method the bot's code
// calls is looked up in the scope each one requires (api.slack.com/methods), and nothing else is requested.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Bot-token scope of each Web API method the bot may call; null: none needed. */
const SCOPE_OF: Record<string, string | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  'usergroups.users.list': 'usergroups:read',
  'views.open': null,
};
/** The client's helpers, by the Web API methods they call. */
const HELPERS: Record<string, string[]> = { filesUploadV2: ['files.getUploadURLExternal', 'files.completeUploadExternal'] };
const HELPER_CALL = new RegExp(`\\.(${Object.keys(HELPERS).join('|')})\\s*\\(`, 'g');
/** The /rollouts slash command itself. */
const COMMAND_SCOPE = 'commands';
const FAMILIES = ['admin', 'apps', 'auth', 'bookmarks', 'bots', 'chat', 'conversations', 'dnd', 'emoji', 'files', 'pins', 'reactions', 'reminders', 'search', 'team', 'usergroups', 'users', 'views'];
const CALL = new RegExp(`\\.(${FAMILIES.join('|')})((?:\\s*\\.\\s*[a-zA-Z]+)+)\\s*\\(`, 'g');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * `chat.postMessage`, … as called anywhere in the bot's code (`client.usergroups.users\n.list(` included, and the
 * methods a helper such as filesUploadV2 calls), comments left out.
 */
function webApiCalls(): Set<string> {
  const calls = new Set<string>();
  for (const file of sourceFiles('bot')) {
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const match of code.matchAll(CALL)) calls.add(`${match[1]}${match[2]!.replace(/\s+/g, '')}`);
    for (const match of code.matchAll(HELPER_CALL)) for (const method of HELPERS[match[1]!]!) calls.add(method);
  }
  return calls;
}

function manifestScopes(file: string): string[] {
  const manifest = parse(readFileSync(join(root, 'docs', file), 'utf8')) as { oauth_config: { scopes: { bot: string[]; user?: string[] } } };
  expect(manifest.oauth_config.scopes.user, `${file}: user scopes`).toBeUndefined();
  return manifest.oauth_config.scopes.bot;
}

describe('Slack app manifests', () => {
  const calls = webApiCalls();

  it('finds the Web API calls the bot makes (the scan is real)', () => {
    expect([...calls].sort()).toEqual(expect.arrayContaining(['chat.postMessage', 'chat.update', 'files.completeUploadExternal', 'files.getUploadURLExternal', 'usergroups.users.list', 'views.open']));
  });

  it('knows the scope of every method the bot calls', () => {
    expect([...calls].filter((method) => !(method in SCOPE_OF)), 'add the method and its scope to SCOPE_OF, and the scope to the manifests').toEqual([]);
  });

  const needed = [COMMAND_SCOPE, ...new Set([...calls].map((method) => SCOPE_OF[method]).filter((scope): scope is string => !!scope))].sort();

  for (const file of ['slack-app-manifest.yaml', 'slack-app-manifest-socket-mode.yaml']) {
    it(`${file} requests exactly those scopes`, () => {
      expect([...manifestScopes(file)].sort()).toEqual(needed);
    });
  }

  it('needs commands, chat:write, files:write and usergroups:read only', () => {
    expect(needed).toEqual(['chat:write', 'commands', 'files:write', 'usergroups:read']);
  });
});
