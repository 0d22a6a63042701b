/**
 * The training data sets behind a SPEC (cli.md): `bars`, `images:DIR|FILE.mat` (natural-image
 * patches) or a `.npy` file of rows. Everything downstream sees the same shape: rows x [N, D].
 */
import { basename } from 'node:path';
import { readNpy } from '../npy/read.ts';
import type { DataSpec } from '../schema/data-spec.ts';
import { checkFinite, checkRows } from '../validate/arrays.ts';
import { generateBars } from './bars.ts';
import { naturalImagePatches } from './patches.ts';

export interface DataSet {
  /** rows [N, D] row-major */
  x: Float32Array;
  n: number;
  d: number;
  /** the spec it came from */
  spec: DataSpec;
  /** how the rows were made, for the model card */
  preprocessing: object;
  /** how to draw a row (or a generative field) as an image */
  tile: { width: number; height: number };
  /** the generating dictionary [D, H] where known (bars) */
  groundTruth?: { w: Float64Array; h: number };
}

/**
 * Makes the rows of a data spec.
 * @param seed seeds the generated data (bars) and the patch positions (images)
 */
export async function loadDataSet(spec: DataSpec, seed: number): Promise<DataSet> {
  switch (spec.kind) {
    case 'bars': {
      const bars = generateBars({ size: spec.size, samples: spec.samples, noise: spec.noise, seed });
      return {
        x: bars.x,
        n: bars.n,
        d: bars.d,
        spec,
        preprocessing: { kind: 'bars', size: spec.size, noise: spec.noise, samples: bars.n, seed },
        tile: { width: spec.size, height: spec.size },
        groundTruth: { w: bars.w, h: bars.h },
      };
    }
    case 'images': {
      const patches = await naturalImagePatches({
        source: spec.source || undefined,
        patch: spec.patch,
        samples: spec.samples,
        seed,
        whiten: spec.whiten,
      });
      return { ...patches, spec, tile: { width: spec.patch, height: spec.patch } };
    }
    case 'npy': {
      const array = await readNpy(spec.file);
      const [n, d] = checkRows(array.shape, spec.file);
      const x = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data);
      checkFinite(x, spec.file, [n, d]);
      const side = Math.round(Math.sqrt(d));
      return {
        x,
        n,
        d,
        spec,
        preprocessing: { kind: 'npy', file: basename(spec.file) },
        tile: side * side === d ? { width: side, height: side } : { width: d, height: 1 },
      };
    }
  }
}
