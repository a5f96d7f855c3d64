// A credentials directory for each test, as the engine reads one mounted from Secrets: made empty before the test,
// a folder of files written into it on demand, and removed after the test.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

export interface CredentialsFolders {
  /** The current test's directory. */
  readonly dir: string;
  /** Writes the folder `name` holding `files` (file name → content). */
  write(name: string, files: Record<string, string>): void;
}

/** Registers the hooks that make and remove the directory around each test of the calling file. */
export function credentialsFolders(): CredentialsFolders {
  let dir: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-credentials-'));
  });
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const current = (): string => {
    if (!dir) throw new Error('the credentials directory exists only while a test runs');
    return dir;
  };
  return {
    get dir() {
      return current();
    },
    write(name, files) {
      mkdirSync(join(current(), name));
      for (const [file, content] of Object.entries(files)) writeFileSync(join(current(), name, file), content);
    },
  };
}
