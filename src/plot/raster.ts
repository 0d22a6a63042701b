/**
 * A small RGB raster with the drawing primitives the plots need (rectangles, antialiased lines and
 * shapes, bitmap text) and PNG encoding, so figures can be rendered without a browser or canvas.
 * Coordinates are in pixels, x to the right and y down; pixel (x, y) covers [x, x+1) × [y, y+1).
 */
import pngjs from 'pngjs';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphBitmap } from './font.ts';

/** A colour as 8-bit red, green, blue. */
export type Rgb = readonly [r: number, g: number, b: number];

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

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

/** Sets one pixel; coordinates outside the raster are ignored. */
export function setPixel(raster: Raster, x: number, y: number, color: Rgb): void {
  blendPixel(raster, x, y, color, 1);
}

/** Mixes `color` into a pixel with weight `alpha` in [0, 1]; coordinates outside are ignored. */
export function blendPixel(raster: Raster, x: number, y: number, color: Rgb, alpha: number): void {
  if (x < 0 || y < 0 || x >= raster.width || y >= raster.height || !(alpha > 0)) return;
  const i = 3 * (y * raster.width + x);
  const a = Math.min(alpha, 1);
  for (let c = 0; c < 3; c++) raster.data[i + c] = Math.round(raster.data[i + c]! * (1 - a) + color[c]! * a);
}

/** Fills the rectangle [x, x+width) × [y, y+height), clipped to the raster. */
export function fillRect(raster: Raster, x: number, y: number, width: number, height: number, color: Rgb): void {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(raster.width, Math.round(x + width));
  const y1 = Math.min(raster.height, Math.round(y + height));
  for (let py = y0; py < y1; py++) {
    for (let px = x0; px < x1; px++) {
      const i = 3 * (py * raster.width + px);
      raster.data[i] = color[0];
      raster.data[i + 1] = color[1];
      raster.data[i + 2] = color[2];
    }
  }
}

/**
 * Draws an antialiased line segment with round ends between two points (pixel centres are at
 * half-integers, so (10.5, 3.5) is the centre of pixel (10, 3)).
 * @param width stroke width in pixels, e.g. 1 or 2
 */
export function drawLine(
  raster: Raster,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  color: Rgb,
  width = 1,
): void {
  const half = width / 2;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const length2 = dx * dx + dy * dy;
  // Coverage falls off linearly over one pixel across the stroke's edge: a cheap, even antialiasing.
  const coverage = (px: number, py: number) => {
    const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - x0) * dx + (py - y0) * dy) / length2));
    const distance = Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
    return Math.min(1, half + 0.5 - distance);
  };
  // Walk the major axis and visit only a band of pixels around the line on the minor axis.
  const steep = Math.abs(dy) > Math.abs(dx);
  const [a0, a1] = steep ? [Math.min(y0, y1), Math.max(y0, y1)] : [Math.min(x0, x1), Math.max(x0, x1)];
  const slope = steep ? (dy === 0 ? 0 : dx / dy) : dx === 0 ? 0 : dy / dx;
  const band = half + 1 + Math.abs(slope);
  for (let a = Math.floor(a0 - half - 1); a <= Math.ceil(a1 + half + 1); a++) {
    const along = Math.min(a1, Math.max(a0, a + 0.5));
    const across = steep ? x0 + (along - y0) * slope : y0 + (along - x0) * slope;
    for (let b = Math.floor(across - band); b <= Math.ceil(across + band); b++) {
      const [px, py] = steep ? [b, a] : [a, b];
      blendPixel(raster, px, py, color, coverage(px + 0.5, py + 0.5));
    }
  }
}

/**
 * Fills the set of points where `inside(x, y)` holds within a bounding box, antialiased by 4×4
 * supersampling of each pixel.
 */
export function fillShape(
  raster: Raster,
  box: { x0: number; y0: number; x1: number; y1: number },
  inside: (x: number, y: number) => boolean,
  color: Rgb,
): void {
  for (let py = Math.floor(box.y0); py < Math.ceil(box.y1); py++) {
    for (let px = Math.floor(box.x0); px < Math.ceil(box.x1); px++) {
      let hits = 0;
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) if (inside(px + (sx + 0.5) / 4, py + (sy + 0.5) / 4)) hits++;
      }
      blendPixel(raster, px, py, color, hits / 16);
    }
  }
}

/** Fills an antialiased disc. */
export function fillCircle(raster: Raster, cx: number, cy: number, radius: number, color: Rgb): void {
  const box = { x0: cx - radius, y0: cy - radius, x1: cx + radius, y1: cy + radius };
  fillShape(raster, box, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius, color);
}

export interface TextOptions {
  /** integer pixel size of one font pixel (default 1) */
  scale?: number;
  /** rotate 90° counter-clockwise (reading bottom to top), for vertical axis labels */
  vertical?: boolean;
  /** thicken strokes by one pixel to the right (one pixel down when vertical) */
  bold?: boolean;
}

/** Width in pixels of `text` drawn horizontally at `scale` (its height when drawn vertically). */
export function textWidth(text: string, scale = 1): number {
  const chars = [...text].length;
  return chars === 0 ? 0 : (chars * GLYPH_ADVANCE - (GLYPH_ADVANCE - GLYPH_WIDTH)) * scale;
}

/** Height in pixels of a line of text at `scale`, descenders included. */
export function textHeight(scale = 1): number {
  return GLYPH_HEIGHT * scale;
}

/**
 * Draws `text` with the built-in 5×8 font; (x, y) is the top-left corner of the text's box
 * (textWidth × textHeight, or the transpose when vertical). Even scales are drawn from the glyphs
 * doubled with Scale2x, which rounds diagonals instead of making staircases.
 */
export function drawText(raster: Raster, text: string, x: number, y: number, color: Rgb, options: TextOptions = {}): void {
  const scale = Math.max(1, Math.round(options.scale ?? 1));
  const smooth = scale % 2 === 0;
  const gw = smooth ? 2 * GLYPH_WIDTH : GLYPH_WIDTH;
  const gh = smooth ? 2 * GLYPH_HEIGHT : GLYPH_HEIGHT;
  const block = smooth ? scale / 2 : scale;
  const length = textWidth(text, scale);
  const extra = options.bold ? 1 : 0;
  let pen = 0;
  for (const char of text) {
    const bitmap = smooth ? scale2x(glyphBitmap(char), GLYPH_WIDTH, GLYPH_HEIGHT) : glyphBitmap(char);
    for (let row = 0; row < gh; row++) {
      for (let col = 0; col < gw; col++) {
        if (!bitmap[row * gw + col]) continue;
        const u = pen + col * block; // along the text
        const v = row * block; // down the glyph
        if (options.vertical) fillRect(raster, x + v, y + length - u - block, block, block + extra, color);
        else fillRect(raster, x + u, y + v, block + extra, block, color);
      }
    }
    pen += GLYPH_ADVANCE * scale;
  }
}

/** Scale2x (EPX) magnification of a binary bitmap [height * width] to [2height * 2width]. */
function scale2x(src: Uint8Array, width: number, height: number): Uint8Array {
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : src[y * width + x]!);
  const out = new Uint8Array(4 * width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = at(x, y);
      const a = at(x, y - 1); // above
      const b = at(x + 1, y); // right
      const c = at(x - 1, y); // left
      const d = at(x, y + 1); // below
      const o = 2 * y * 2 * width + 2 * x;
      out[o] = c === a && c !== d && a !== b ? a : p;
      out[o + 1] = a === b && a !== c && b !== d ? b : p;
      out[o + 2 * width] = d === c && d !== b && c !== a ? c : p;
      out[o + 2 * width + 1] = b === d && b !== a && d !== c ? d : p;
    }
  }
  return out;
}

/** Encodes the raster as an 8-bit RGB PNG file. */
export function encodePng(raster: Raster): Uint8Array {
  const png = new pngjs.PNG();
  png.width = raster.width;
  png.height = raster.height;
  png.data = Buffer.from(raster.data.buffer, raster.data.byteOffset, raster.data.byteLength);
  return new Uint8Array(pngjs.PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }));
}
