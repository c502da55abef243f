import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `npm ci` (CI, the gateway's Dockerfile) refuses a lock file that lacks an entry for any
 * dependency a locked package declares, optional platform packages included (an `npm install`
 * over an existing node_modules has been seen to drop rollup's 24 platform packages). This
 * is that check, with the names, before CI gets there.
 */
const root = resolve(__dirname, '../..');
type Entry = { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; devDependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, Entry> };
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Entry;

/** Node's lookup from the package at `at`: its own node_modules, then each parent's, then the root's */
function locate(at: string, dep: string): string | undefined {
  let dir = at;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${dep}` : `node_modules/${dep}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i >= 0 ? dir.slice(0, i) : '';
  }
}

describe('package-lock.json', () => {
  it('is a v3 lock whose root entry matches package.json', () => {
    expect(lock.lockfileVersion).toBe(3);
    const rootEntry = lock.packages['']!;
    expect(rootEntry.dependencies).toEqual(pkg.dependencies);
    expect(rootEntry.devDependencies).toEqual(pkg.devDependencies);
  });

  it('has an entry for every dependency and optional dependency of every locked package', () => {
    const missing: string[] = [];
    for (const [at, entry] of Object.entries(lock.packages)) {
      for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...(at === '' ? entry.devDependencies : {}) })) {
        if (!locate(at, dep)) missing.push(`${at || '(root)'} → ${dep}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
