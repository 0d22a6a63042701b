/** Decoding helpers for the plot tests: PNG bytes back to RGB pixels with pngjs. */
import pngjs from 'pngjs';

export interface Decoded {
  width: number;
  height: number;
  pixel(x: number, y: number): [number, number, number];
}

export function decodePng(bytes: Uint8Array): Decoded {
  const png = pngjs.PNG.sync.read(Buffer.from(bytes));
  return {
    width: png.width,
    height: png.height,
    pixel: (x, y) => {
      const i = 4 * (y * png.width + x);
      return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    },
  };
}
