/**
 * Vega-Lite specifications to SVG (vega, headless: no browser, no canvas) and to PNG (resvg), with
 * the font of font.ts and no system fonts. Every chart of the project goes through here.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY, fontFiles } from './font.ts';

export type { TopLevelSpec };

/** Fonts and background shared by all charts. */
const CONFIG = {
  font: FONT_FAMILY,
  background: 'white',
  view: { stroke: '#ddd' },
} as const;

/** The chart as an SVG document. */
export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: { ...CONFIG, ...spec.config } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * The chart as PNG bytes.
 * @param scale pixels per SVG unit (2 gives sharp text at the default chart sizes)
 */
export async function chartPng(spec: TopLevelSpec, scale = 2): Promise<Uint8Array> {
  const svg = await chartSvg(spec);
  const resvg = new Resvg(svg, {
    font: {
      fontFiles: fontFiles(),
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
  return resvg.render().asPng();
}

/** A number for a chart's data: NaN and ±Inf become null, which Vega-Lite leaves out of lines and axes. */
export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
