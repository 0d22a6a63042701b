/**
 * An RGB pixel buffer with the two operations the fields image needs (filled rectangles, PNG
 * encoding). Charts are drawn by @entropy-sc/plot; this is only for images made of pixels.
 */
import pngjs from 'pngjs';

/** A colour as 8-bit red, green, blue. */
export type Rgb = readonly [r: number, g: number, b: number];

export const WHITE: Rgb = [255, 255, 255];

/** An RGB image: the pixel at (x, y) is `data[3 * (y * width + x) + channel]`. */
export interface Raster {
  readonly width: number;
  readonly height: number;
  /** [height * width * 3], row-major RGB */
  readonly data: Uint8Array;
}

export function createRaster(width: number, height: number, background: Rgb = WHITE): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`raster size must be positive integers, got ${width}×${height}`);
  }
  const raster: Raster = { width, height, data: new Uint8Array(width * height * 3) };
  fillRect(raster, 0, 0, width, height, background);
  return raster;
}

export function getPixel(raster: Raster, x: number, y: number): Rgb {
  const i = 3 * (y * raster.width + x);
  return [raster.data[i]!, raster.data[i + 1]!, raster.data[i + 2]!];
}

/** Fills the rectangle [x, x+width) × [y, y+height) of integer pixels, clipped to the raster. */
export function fillRect(raster: Raster, x: number, y: number, width: number, height: number, color: Rgb): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(raster.width, x + width);
  const y1 = Math.min(raster.height, y + height);
  for (let py = y0; py < y1; py++) {
    for (let px = x0; px < x1; px++) raster.data.set(color, 3 * (py * raster.width + px));
  }
}

export function encodePng(raster: Raster): Uint8Array {
  const png = new pngjs.PNG();
  png.width = raster.width;
  png.height = raster.height;
  png.data = Buffer.from(raster.data.buffer, raster.data.byteOffset, raster.data.byteLength);
  return new Uint8Array(pngjs.PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }));
}
