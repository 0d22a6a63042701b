/**
 * The one font every chart uses: DejaVu Sans from the dejavu-fonts-ttf package, loaded by file path,
 * so that text renders the same on a machine with no system fonts.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const FONT_FAMILY = 'DejaVu Sans';

/** Paths of the regular and bold faces (Vega titles are bold). */
export function fontFiles(): string[] {
  const root = dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json'));
  return [join(root, 'ttf', 'DejaVuSans.ttf'), join(root, 'ttf', 'DejaVuSans-Bold.ttf')];
}
