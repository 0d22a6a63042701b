/**
 * The training data sets behind a SPEC (cli.md): `bars`, `images:DIR|FILE.mat` (natural-image
 * patches) or a `.npy` file of rows. Everything downstream sees the same shape: rows x [N, D].
 */
import { ensure, UserError } from '../errors.ts';
import { readNpy } from '../npy/read.ts';
import { generateBars } from './bars.ts';
import { naturalImagePatches } from './patches.ts';

export interface DataSetOptions {
  /** bars: grid size b (D = b²) */
  barsSize: number;
  /** number of points to generate (bars) or cut (patches) */
  samples?: number;
  /** bars: noise standard deviation */
  noise: number;
  /** images: patch size P (D = P²) */
  patch: number;
  /** images: apply the Olshausen-Field whitening */
  whiten: boolean;
  seed: number;
}

export interface DataSet {
  /** rows [N, D] row-major */
  x: Float32Array;
  n: number;
  d: number;
  /** the SPEC it came from */
  spec: string;
  /** how the rows were made, for the model card */
  preprocessing: object;
  /** how to draw a row (or a generative field) as an image */
  tile: { width: number; height: number };
  /** the generating dictionary [D, H] where known (bars) */
  groundTruth?: { w: Float64Array; h: number };
}

export const DEFAULT_BARS_SAMPLES = 1000;
export const DEFAULT_PATCH_SAMPLES = 50_000;

export async function loadDataSet(spec: string, options: DataSetOptions): Promise<DataSet> {
  if (spec === 'bars') {
    const size = options.barsSize;
    ensure(Number.isInteger(size) && size >= 2, `--bars-size must be an integer ≥ 2, got ${size}`);
    ensure(options.noise > 0, `--noise must be positive, got ${options.noise}`);
    const bars = generateBars({ size, samples: options.samples ?? DEFAULT_BARS_SAMPLES, noise: options.noise, seed: options.seed });
    return {
      x: bars.x,
      n: bars.n,
      d: bars.d,
      spec,
      preprocessing: { kind: 'bars', size, noise: options.noise, samples: bars.n, seed: options.seed },
      tile: { width: size, height: size },
      groundTruth: { w: bars.w, h: bars.h },
    };
  }
  if (spec.startsWith('images:')) {
    // A bare `images:` means the public-domain images shipped in data/natural-images.
    const source = spec.slice('images:'.length) || undefined;
    const patches = await naturalImagePatches({
      source,
      patch: options.patch,
      samples: options.samples ?? DEFAULT_PATCH_SAMPLES,
      seed: options.seed,
      whiten: options.whiten,
    });
    return { ...patches, spec, tile: { width: options.patch, height: options.patch } };
  }
  if (spec.endsWith('.npy')) {
    const array = await readNpy(spec);
    ensure(array.shape.length === 2, `${spec}: expected data rows [N, D], got shape [${array.shape.join(', ')}]`);
    const [n, d] = array.shape as [number, number];
    ensure(n > 0 && d > 0, `${spec}: the data set is empty (shape [${n}, ${d}])`);
    const x = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data);
    const bad = x.findIndex((v) => !Number.isFinite(v));
    ensure(bad < 0, () => `${spec}: non-finite value ${x[bad]} at row ${Math.floor(bad / d)}, column ${bad % d}`);
    const side = Math.round(Math.sqrt(d));
    return {
      x,
      n,
      d,
      spec,
      preprocessing: { kind: 'npy', file: spec },
      tile: side * side === d ? { width: side, height: side } : { width: d, height: 1 },
    };
  }
  throw new UserError(`--data: cannot read SPEC '${spec}'; give bars, images:DIR (or images:IMAGES.mat) or a .npy file`);
}
