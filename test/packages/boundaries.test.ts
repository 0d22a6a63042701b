/**
 * The package boundaries of design.md: which package may import which, that each package declares
 * every package it imports, and that the production dependency tree of inference and service holds
 * no TensorFlow.js (a service installs them without it).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../helpers/source-files.ts';

const root = resolve(import.meta.dirname, '../..');

/** folder → what its files may import from the project's own packages */
const allowed: Record<string, string[]> = {
  src: [],
  graph: ['@entropy-sc/core'],
  plot: ['@entropy-sc/core'],
  inference: ['@entropy-sc/core', '@entropy-sc/graph'],
  training: ['@entropy-sc/core', '@entropy-sc/graph', '@entropy-sc/plot', '@entropy-sc/inference'],
  service: ['@entropy-sc/core', '@entropy-sc/graph', '@entropy-sc/inference'],
  cli: [
    '@entropy-sc/core',
    '@entropy-sc/graph',
    '@entropy-sc/plot',
    '@entropy-sc/training',
    '@entropy-sc/inference',
    '@entropy-sc/service',
  ],
};

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readPackage = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

/** Module specifiers of static imports, re-exports and dynamic imports with a literal. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:])\/\/.*$/gm, '$1');
  const found = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm)].map((m) => m[2]!);
  return found;
}

/** '@scope/name/sub' → '@scope/name'; 'name/sub' → 'name' */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(packageOf(specifier));

describe('package boundaries', () => {
  for (const [folder, mayImport] of Object.entries(allowed)) {
    it(`${folder}/ imports only what it may and declares what it imports`, () => {
      const manifest = readPackage(join(root, folder));
      const declared = new Set(
        Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies }),
      );
      const problems: string[] = [];
      for (const file of sourceFiles(join(root, folder))) {
        const where = relative(root, file);
        for (const specifier of specifiers(file)) {
          if (specifier.startsWith('.')) {
            const target = relative(join(root, folder), resolve(dirname(file), specifier));
            if (target.startsWith('..')) problems.push(`${where}: relative import '${specifier}' leaves ${folder}/`);
            continue;
          }
          if (isBuiltin(specifier)) continue;
          const name = packageOf(specifier);
          if (name.startsWith('@entropy-sc/') && !mayImport.includes(name))
            problems.push(`${where}: imports ${name}, above ${folder}/`);
          if (!declared.has(name) && name !== manifest.name)
            problems.push(`${where}: imports ${name}, not declared in ${folder}/package.json`);
        }
      }
      expect(problems).toEqual([]);
    });
  }
});

/** Every package a production install of `folder` brings, found through node_modules as Node resolves them. */
function productionTree(folder: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (dir: string) => {
    const manifest = readPackage(dir);
    const optionalPeers = manifest.peerDependenciesMeta ?? {};
    const names = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}).filter((name) => !optionalPeers[name]?.optional),
    ];
    for (const name of names) {
      const found = locate(name, dir);
      if (!found) continue; // an optional dependency for another platform
      if (seen.has(found)) continue;
      seen.set(found, name);
      visit(found);
    }
  };
  visit(join(root, folder));
  return seen;
}

function locate(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

describe('production dependency trees', () => {
  it.each(['inference', 'service'])('%s/ installs no TensorFlow.js', (folder) => {
    const tree = [...productionTree(folder).values()];
    expect(tree.length).toBeGreaterThan(0);
    expect(tree.filter((name) => name.startsWith('@tensorflow/') || name.startsWith('@entropy-sc/training'))).toEqual(
      [],
    );
  });

  it('the training tree does hold TensorFlow.js (the check sees through workspaces)', () => {
    expect([...productionTree('training').values()]).toContain('@tensorflow/tfjs-core');
  });
});
