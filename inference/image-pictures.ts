/**
 * The two pictures `encode` writes per image: the whitened input beside the image rebuilt from its
 * codes (W̃·ν per patch, overlapping patches averaged), on one symmetric gray scale; and a heat map
 * of the per-patch ELBO ℓ_n.
 */
import { createRaster, encodePng, type Raster, type Rgb } from '@entropy-sc/core/plot/rgb-image';

const GAP = 4;

/**
 * @param whitened the image as the model saw it [height, width]
 * @param reconstruction W̃ν averaged over the windows covering each pixel [height, width]
 */
export function reconstructionPng(
  whitened: Float32Array,
  reconstruction: Float32Array,
  width: number,
  height: number,
): Uint8Array {
  // ±3 RMS of the input is the gray range (whitened images have heavy tails; the max would wash it out)
  let squares = 0;
  for (const v of whitened) squares += v * v;
  const scale = 3 * Math.sqrt(squares / whitened.length) || 1;
  const raster = createRaster(2 * width + GAP, height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      setGray(raster, x, y, whitened[y * width + x]! / scale);
      setGray(raster, width + GAP + x, y, reconstruction[y * width + x]! / scale);
    }
  return encodePng(raster);
}

/** @param elbo ℓ_n per window [rows · cols]; each window is drawn as a cell of `cell` pixels */
export function elboHeatMapPng(elbo: Float32Array, rows: number, cols: number, cell: number): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of elbo) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const raster = createRaster(cols * cell, rows * cell);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const color = heat(hi > lo ? (elbo[r * cols + c]! - lo) / (hi - lo) : 0.5);
      for (let y = 0; y < cell; y++)
        for (let x = 0; x < cell; x++) raster.data.set(color, 3 * ((r * cell + y) * raster.width + c * cell + x));
    }
  return encodePng(raster);
}

/** v in [−1, 1] → gray, 0 is mid-gray. */
function setGray(raster: Raster, x: number, y: number, v: number): void {
  const g = Math.round(127.5 * (1 + Math.max(-1, Math.min(1, v))));
  raster.data.set([g, g, g], 3 * (y * raster.width + x));
}

/** A perceptually ordered dark-blue → teal → yellow ramp (viridis' end points and middle). */
const RAMP: readonly Rgb[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function heat(t: number): Rgb {
  const s = t * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(s));
  const f = s - i;
  const [a, b] = [RAMP[i]!, RAMP[i + 1]!];
  return [
    Math.round(a[0] + f * (b[0] - a[0])),
    Math.round(a[1] + f * (b[1] - a[1])),
    Math.round(a[2] + f * (b[2] - a[2])),
  ];
}
