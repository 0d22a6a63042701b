/** The shape [N, D] a data spec will have, known before its rows are made (for memory estimates). */
import { readNpyHeader } from '../npy/read.ts';
import type { DataSpec } from '../schema/data-spec.ts';
import { checkRows } from '../validate/arrays.ts';

export async function dataShape(spec: DataSpec): Promise<{ n: number; d: number }> {
  switch (spec.kind) {
    case 'bars':
      return { n: spec.samples, d: spec.size * spec.size };
    case 'images':
      return { n: spec.samples, d: spec.patch * spec.patch };
    case 'npy': {
      const [n, d] = checkRows((await readNpyHeader(spec.file)).shape, spec.file);
      return { n, d };
    }
  }
}
