/**
 * The data a run learns from (cli.md `--data SPEC`), as a union by kind where each kind holds only
 * its own options. The defaults live here; commander's help, `demo`, the bench and the tests read
 * them from `dataDefaults` instead of restating them.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { issuesText } from './issues-text.ts';

const positiveInt = z.number().int().positive();

export const barsSpec = z.strictObject({
  kind: z.literal('bars'),
  /** grid size b (D = b², H = 2b) */
  size: z.number().int().min(2).default(5),
  samples: positiveInt.default(1000),
  /** noise standard deviation */
  noise: z.number().positive().default(0.1),
});

export const imagesSpec = z.strictObject({
  kind: z.literal('images'),
  /** a folder of PNG/JPEG files, one such file or IMAGES.mat; '' is the shipped image set */
  source: z.string().default(''),
  /** patch side P (D = P²) */
  patch: positiveInt.default(16),
  samples: positiveInt.default(50_000),
  whiten: z.boolean().default(true),
});

export const npySpec = z.strictObject({
  kind: z.literal('npy'),
  file: z.string().min(1),
});

export const dataSpec = z.discriminatedUnion('kind', [barsSpec, imagesSpec, npySpec]);

export type DataSpec = z.infer<typeof dataSpec>;

export const dataDefaults = {
  bars: barsSpec.parse({ kind: 'bars' }),
  images: imagesSpec.parse({ kind: 'images' }),
} as const;

/** Data flags as the CLI gives them: undefined where the user did not set one. */
export interface DataFlags {
  barsSize?: number;
  samples?: number;
  noise?: number;
  patch?: number;
  whiten?: boolean;
}

const flagNames: Record<keyof DataFlags, string> = {
  barsSize: '--bars-size',
  samples: '--samples',
  noise: '--noise',
  patch: '--patch',
  whiten: '--no-whiten',
};

const flagsOf: Record<DataSpec['kind'], (keyof DataFlags)[]> = {
  bars: ['barsSize', 'samples', 'noise'],
  images: ['patch', 'samples', 'whiten'],
  npy: [],
};

/**
 * Parses `--data SPEC` and the data flags into a spec; a flag that does not apply to the kind is an
 * error rather than silently ignored.
 */
export function parseDataSpec(text: string, flags: DataFlags = {}): DataSpec {
  const kind: DataSpec['kind'] | undefined =
    text === 'bars' ? 'bars' : text.startsWith('images:') ? 'images' : text.endsWith('.npy') ? 'npy' : undefined;
  if (!kind)
    throw new UserError(
      `--data: cannot read SPEC '${text}'; give bars, images:DIR (or images:IMAGES.mat) or a .npy file`,
    );
  const given = (Object.keys(flagNames) as (keyof DataFlags)[]).filter(
    (key) => flags[key] !== undefined && !(key === 'whiten' && flags.whiten),
  );
  const stray = given.filter((key) => !flagsOf[kind].includes(key));
  if (stray.length > 0)
    throw new UserError(`${stray.map((key) => flagNames[key]).join(', ')}: not an option of --data ${kindLabel(kind)}`);
  const candidate =
    kind === 'bars'
      ? { kind, size: flags.barsSize, samples: flags.samples, noise: flags.noise }
      : kind === 'images'
        ? {
            kind,
            source: text.slice('images:'.length),
            patch: flags.patch,
            samples: flags.samples,
            whiten: flags.whiten,
          }
        : { kind, file: text };
  const parsed = dataSpec.safeParse(candidate);
  if (!parsed.success) throw new UserError(`--data ${text}: ${issuesText(parsed.error)}`);
  return parsed.data;
}

/** The SPEC string a data spec came from (for messages and `--data` round trips). */
export function specText(spec: DataSpec): string {
  return spec.kind === 'bars' ? 'bars' : spec.kind === 'images' ? `images:${spec.source}` : spec.file;
}

/**
 * The spec as it may travel with a model: sources by their names, never a path of the machine that
 * trained it ('' stays the shipped image set).
 */
export function portableDataSpec(spec: DataSpec): DataSpec {
  if (spec.kind === 'images')
    return { ...spec, source: spec.source === '' ? '' : basename(spec.source.replace(/[/\\]+$/, '')) };
  if (spec.kind === 'npy') return { ...spec, file: basename(spec.file) };
  return spec;
}

function kindLabel(kind: DataSpec['kind']): string {
  return kind === 'bars' ? 'bars' : kind === 'images' ? 'images:' : 'FILE.npy';
}
