/**
 * The built-in natural-image set: nine public-domain photographs shipped in `data/natural-images/`
 * (see PROVENANCE.md there), used when `--data images:` names no folder.
 */
import { fileURLToPath } from 'node:url';

/** Absolute path of the shipped image folder, resolved from this module's location. */
export const defaultImagesDir: string = fileURLToPath(new URL('../../data/natural-images', import.meta.url));
