/** The project's version, read from package.json so that cards and checkpoints never restate it. */
import pkg from './package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
