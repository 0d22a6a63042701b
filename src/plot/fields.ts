/**
 * Generative fields as a tile image, as in the paper's figures: each column of the dictionary W
 * [D, H] reshaped to a patch, scaled symmetrically around 0 on its own (mid-gray is 0, white the
 * largest |value| positive, black negative), tiles on a roughly square grid with 1-px borders.
 */
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { type Raster, type Rgb, WHITE, createRaster, encodePng, fillRect } from './rgb-image.ts';

export interface FieldsLayout {
  /** rows of W (pixels per field), patchWidth * patchHeight */
  d: number;
  /** columns of W (number of fields) */
  h: number;
  patchWidth: number;
  patchHeight: number;
  /** column indices of W in the order to draw them (e.g. by prior scale λ descending); default 0..H-1 */
  order?: readonly number[];
  /** integer enlargement of each field pixel; default the smallest making the image ≥ 400 px wide */
  scale?: number;
}

const BORDER: Rgb = [0, 0, 0];
/** Drawn where a field holds NaN or ±Inf, which has no place on the gray scale. */
const NOT_FINITE: Rgb = [255, 0, 255];
const MIN_WIDTH = 400;

/** Grid geometry in output pixels: tile k sits at column k % cols, row ⌊k / cols⌋. */
export interface FieldsGrid {
  cols: number;
  rows: number;
  scale: number;
  width: number;
  height: number;
}

/** The grid for `layout`: cols = ⌈√count⌉ tiles across, the scale given or the smallest ≥ 400 px wide. */
export function fieldsGrid(layout: FieldsLayout): FieldsGrid {
  const count = layout.order?.length ?? layout.h;
  const cols = Math.max(1, Math.ceil(Math.sqrt(count)));
  const rows = Math.max(1, Math.ceil(count / cols));
  const scale = layout.scale ?? Math.max(1, Math.ceil((MIN_WIDTH - (cols + 1)) / (cols * layout.patchWidth)));
  return {
    cols,
    rows,
    scale,
    width: cols * (layout.patchWidth * scale + 1) + 1,
    height: rows * (layout.patchHeight * scale + 1) + 1,
  };
}

/**
 * Renders the generative fields as a grid of tiles.
 * @param w the dictionary W [D, H], row-major: entry (i, h) is `w[i * H + h]`
 * @param layout D, H, the patch shape (D = patchHeight × patchWidth, fields reshaped row-major),
 *   the drawing order and the pixel scale
 */
export function renderFields(w: Float32Array | Float64Array, layout: FieldsLayout): Raster {
  const { d, h, patchWidth, patchHeight } = layout;
  if (w.length !== d * h) throw new RangeError(`dictionary has ${w.length} entries but D×H = ${d}×${h} = ${d * h}`);
  if (patchWidth * patchHeight !== d) {
    throw new RangeError(`patch ${patchHeight}×${patchWidth} has ${patchWidth * patchHeight} pixels but D = ${d}`);
  }
  const order = layout.order ?? Array.from({ length: h }, (_, k) => k);
  for (const column of order) {
    if (!Number.isInteger(column) || column < 0 || column >= h) {
      throw new RangeError(`order holds ${column}, not a column of H = ${h}`);
    }
  }
  if (layout.scale !== undefined && !(Number.isInteger(layout.scale) && layout.scale >= 1)) {
    throw new RangeError(`scale must be a positive integer, got ${layout.scale}`);
  }
  const grid = fieldsGrid({ ...layout, order });
  const { scale } = grid;
  // White canvas and a frame per tile, so the empty cells after the last tile stay blank.
  const raster = createRaster(grid.width, grid.height, WHITE);
  order.forEach((column, k) => {
    let peak = 0;
    for (let i = 0; i < d; i++) {
      const value = Math.abs(w[i * h + column]!);
      if (value > peak && Number.isFinite(value)) peak = value;
    }
    const left = 1 + (k % grid.cols) * (patchWidth * scale + 1);
    const top = 1 + Math.floor(k / grid.cols) * (patchHeight * scale + 1);
    fillRect(raster, left - 1, top - 1, patchWidth * scale + 2, patchHeight * scale + 2, BORDER);
    for (let i = 0; i < d; i++) {
      const value = w[i * h + column]!;
      const gray = Math.round(127.5 + (peak > 0 ? (127.5 * value) / peak : 0));
      const color: Rgb = Number.isFinite(value) ? [gray, gray, gray] : NOT_FINITE;
      fillRect(raster, left + (i % patchWidth) * scale, top + Math.floor(i / patchWidth) * scale, scale, scale, color);
    }
  });
  return raster;
}

/** renderFields encoded as PNG. */
export function fieldsPng(w: Float32Array | Float64Array, layout: FieldsLayout): Uint8Array {
  return encodePng(renderFields(w, layout));
}

/** Writes renderFields as a PNG file, atomically. */
export async function writeFieldsPng(
  path: string,
  w: Float32Array | Float64Array,
  layout: FieldsLayout,
): Promise<void> {
  await writeFileAtomic(path, fieldsPng(w, layout));
}
