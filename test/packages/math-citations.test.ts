/**
 * Every code comment that cites a section of docs/math.md by name (math.md, then the name in double
 * quotes) finds a section of that name there, and docs/math.md and docs/architecture.md exist where
 * the README links them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const folders = ['src', 'graph', 'training', 'inference', 'service', 'plot', 'cli', 'test', 'bench', 'scripts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.parentPath.split(sep).includes('node_modules'))
    .map((e) => join(e.parentPath, e.name));
}

describe('docs/math.md', () => {
  const math = readFileSync(join(root, 'docs/math.md'), 'utf8');
  const sections = new Set([...math.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim()));

  it('has a section for every section a comment cites', () => {
    const missing: string[] = [];
    let citations = 0;
    for (const folder of folders)
      for (const file of sourceFiles(join(root, folder)))
        for (const m of readFileSync(file, 'utf8').matchAll(/math\.md, "([^"]+)"/g)) {
          citations++;
          if (!sections.has(m[1]!)) missing.push(`${file.slice(root.length + 1)}: "${m[1]}"`);
        }
    expect(citations).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it('and docs/architecture.md are linked from the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const doc of ['docs/math.md', 'docs/architecture.md']) {
      expect(existsSync(join(root, doc))).toBe(true);
      expect(readme).toContain(`](${doc})`);
    }
  });
});
