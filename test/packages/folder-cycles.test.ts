/**
 * Inside each package, the folders' imports form no cycle: a folder may use those below it, never
 * one that uses it back (docs/architecture.md lists each package's folders and their roles). A
 * package's top-level files (its entry points and shared basics such as errors.ts) are no folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../helpers/source-files.ts';

const root = resolve(import.meta.dirname, '../..');
const packages = ['src', 'graph', 'training', 'inference', 'service', 'plot', 'cli'];

/** Relative module specifiers of static imports, re-exports, dynamic imports and worker URLs. */
function relativeSpecifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:])\/\/.*$/gm, '$1');
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+|new URL\(\s*)(['"])(\.[^'"]*)\1/gm;
  return [...text.matchAll(pattern)].map((m) => m[2]!);
}

/** folder → the folders its files import (paths relative to the package; top-level files left out) */
function folderGraph(packageDir: string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(packageDir)) {
    const from = relative(packageDir, dirname(file));
    if (!from) continue;
    const targets = graph.get(from) ?? new Set<string>();
    graph.set(from, targets);
    for (const specifier of relativeSpecifiers(file)) {
      const to = relative(packageDir, dirname(resolve(dirname(file), specifier)));
      if (to && to !== from && !to.startsWith('..')) targets.add(to);
    }
  }
  return graph;
}

/** The cycles' folders: every strongly connected component with more than one folder (Tarjan). */
function folderCycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('folder cycles', () => {
  it('finds a cycle where there is one (the check can fail)', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(folderCycles(graph)).toEqual([['a', 'b', 'c']]);
    expect(
      folderCycles(
        new Map([
          ['a', new Set(['b'])],
          ['b', new Set<string>()],
        ]),
      ),
    ).toEqual([]);
  });

  for (const name of packages)
    it(`${name}/ has no import cycle between its folders`, () => {
      expect(folderCycles(folderGraph(join(root, name)))).toEqual([]);
    });
});
