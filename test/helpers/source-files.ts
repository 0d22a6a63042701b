/** The project's own source files (.ts, .js) under a folder, node_modules left out: what the package tests read. */
import { readdirSync } from 'node:fs';
import { join, sep } from 'node:path';

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(
      (entry) =>
        entry.isFile() && /\.(ts|js)$/.test(entry.name) && !entry.parentPath.split(sep).includes('node_modules'),
    )
    .map((entry) => join(entry.parentPath, entry.name));
}
