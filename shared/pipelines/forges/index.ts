// The forge a pull request step talks to, by its provider: GitHub (github.ts) or GitLab (gitlab.ts).
import type { Forge, ForgeOptions } from './forge.js';
import { githubForge } from './github.js';
import { gitlabForge } from './gitlab.js';

export { type Forge, ForgeError, type ForgeOptions, type MergeAnswer, type MergeMethod, type PullRequest } from './forge.js';

export function openForge(options: ForgeOptions): Forge {
  return options.provider === 'github' ? githubForge(options) : gitlabForge(options);
}
