import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of a file shipped at the package root (proto/, dist/bridge/, …), found by walking up from the
 * calling module: modules run both from the sources and from dist/, at different depths below the root.
 */
export function packageFile(moduleUrl: string, relativePath: string): string {
  const found = findPackageFile(moduleUrl, relativePath);
  if (!found) throw new Error(`cannot find ${relativePath} in any folder above ${fileURLToPath(moduleUrl)}`);
  return found;
}

/** Like packageFile, or undefined when no folder above holds it. */
export function findPackageFile(moduleUrl: string, relativePath: string): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const candidate = join(dir, relativePath);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The version in the package's package.json. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(packageFile(import.meta.url, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
