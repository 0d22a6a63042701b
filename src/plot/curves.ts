/**
 * Line charts rendered to a raster: axes with nice ticks, a legend, lines with markers, and panels
 * stacked vertically in one image. The training job draws its ELBO and entropies per epoch with
 * `writeTrainingCurves`.
 */
import { writeFileAtomic } from '../fs/atomic-write.ts';
import {
  type Raster,
  type Rgb,
  WHITE,
  createRaster,
  drawLine,
  drawText,
  encodePng,
  fillRect,
  fillShape,
  textHeight,
  textWidth,
} from './raster.ts';
import { formatTicks, niceTicks } from './ticks.ts';

/** One curve: y[i] is drawn against x[i]; points where either is NaN or ±Inf are skipped. */
export interface Series {
  name: string;
  /** [n] */
  x: ArrayLike<number>;
  /** [n] */
  y: ArrayLike<number>;
  /** default: the next colour of PALETTE */
  color?: Rgb;
}

/** One chart (one panel of a figure). */
export interface ChartSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: readonly Series[];
}

/** Size in pixels of one panel. */
export interface PanelSize {
  width?: number;
  height?: number;
}

/** Series colours (Tableau 10), assigned in order across all panels of a figure. */
export const PALETTE: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

type Marker = 'circle' | 'square' | 'diamond' | 'triangle';
/** Marker shapes cycle with the colours, so series stay apart without colour vision too. */
const MARKERS: readonly Marker[] = ['circle', 'square', 'diamond', 'triangle'];

const TEXT: Rgb = [34, 34, 34];
const MUTED: Rgb = [85, 85, 85];
const AXIS: Rgb = [120, 120, 120];
const GRID: Rgb = [232, 232, 232];

const FONT = 2; // font scale: 12 × 16 px per character
const CAP = 7 * FONT; // height of capitals and digits
const PAD = 16;
const TICK = 5;
const DEFAULT_WIDTH = 900;
const DEFAULT_HEIGHT = 400;

/**
 * Renders one chart.
 * @param spec title, axis labels and the series
 * @param size the image size in pixels, 900 × 400 by default
 */
export function renderCurves(spec: ChartSpec, size: PanelSize = {}): Raster {
  return renderPanels([spec], size);
}

/**
 * Renders charts stacked vertically in one image.
 * @param panels the charts, top to bottom
 * @param size the size of each panel in pixels, 900 × 400 by default
 */
export function renderPanels(panels: readonly ChartSpec[], size: PanelSize = {}): Raster {
  const width = size.width ?? DEFAULT_WIDTH;
  const height = size.height ?? DEFAULT_HEIGHT;
  const raster = createRaster(width, Math.max(1, panels.length) * height, WHITE);
  let colorIndex = 0;
  panels.forEach((spec, p) => {
    drawChart(raster, spec, { left: 0, top: p * height, width, height }, colorIndex);
    colorIndex += spec.series.length;
  });
  return raster;
}

/** The per-epoch numbers the training curves show (extra fields are ignored). */
export interface TrainingCurveRow {
  epoch: number;
  elbo: number;
  entropy_q: number;
  entropy_prior: number;
  entropy_likelihood: number;
}

/**
 * The two panels of the training figure: the ELBO per epoch, and the three entropies per epoch.
 * @param rows one per epoch [epochs], e.g. the lines of metrics.jsonl
 */
export function trainingCurvesSpec(rows: readonly TrainingCurveRow[]): ChartSpec[] {
  const epochs = rows.map((row) => row.epoch);
  const column = (key: keyof TrainingCurveRow) => ({ name: key, x: epochs, y: rows.map((row) => row[key]) });
  return [
    { title: 'ELBO per epoch', xLabel: 'epoch', series: [column('elbo')] },
    {
      title: 'Entropies per epoch',
      xLabel: 'epoch',
      series: [column('entropy_q'), column('entropy_prior'), column('entropy_likelihood')],
    },
  ];
}

/** The training figure encoded as PNG. */
export function trainingCurvesPng(rows: readonly TrainingCurveRow[]): Uint8Array {
  return encodePng(renderPanels(trainingCurvesSpec(rows)));
}

/**
 * Writes the training figure (ELBO, then the entropies, per epoch) as a PNG file, atomically.
 * @param rows one per epoch [epochs]
 */
export async function writeTrainingCurves(path: string, rows: readonly TrainingCurveRow[]): Promise<void> {
  await writeFileAtomic(path, trainingCurvesPng(rows));
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

interface Axis {
  min: number;
  max: number;
  ticks: number[];
  labels: string[];
}

/** Draws one chart into `box` of the raster; series take colours from PALETTE starting at `colorIndex`. */
function drawChart(raster: Raster, spec: ChartSpec, box: Box, colorIndex: number): void {
  const styles = spec.series.map((series, s) => ({
    color: series.color ?? PALETTE[(colorIndex + s) % PALETTE.length]!,
    marker: MARKERS[(colorIndex + s) % MARKERS.length]!,
  }));
  const points = spec.series.map(finitePoints);

  // Title and legend along the top.
  let y = box.top + PAD;
  const textLeft = box.left + PAD;
  if (spec.title) {
    drawText(raster, spec.title, textLeft, y, TEXT, { scale: FONT, bold: true });
    y += textHeight(FONT) + 8;
  }
  y = drawLegend(raster, spec, styles, points, { left: textLeft, top: y, width: box.width - 2 * PAD, height: 0 });

  // Vertical extent of the plot area, then the y axis, whose labels set the left margin.
  const plotTop = y + 8;
  const bottomSpace = TICK + 6 + textHeight(FONT) + (spec.xLabel ? 6 + textHeight(FONT) : 0) + PAD;
  const plotBottom = box.top + box.height - bottomSpace;
  const plotHeight = Math.max(20, plotBottom - plotTop);
  const all = points.flat();
  const yAxis = makeAxis(
    all.map((p) => p.y),
    Math.max(2, Math.min(8, Math.floor(plotHeight / 45))),
    false,
    () => true,
  );
  const yLabelSpace = spec.yLabel ? textHeight(FONT) + 8 : 0;
  const yTickWidth = Math.max(...yAxis.labels.map((label) => textWidth(label, FONT)));
  const plotLeft = box.left + PAD + yLabelSpace + yTickWidth + 6 + TICK;
  const plotRight = box.left + box.width - PAD - 8;
  const plotWidth = Math.max(20, plotRight - plotLeft);
  const integerX = all.length > 0 && all.every((p) => Number.isInteger(p.x));
  const xAxis = makeAxis(
    all.map((p) => p.x),
    Math.max(2, Math.min(10, Math.floor(plotWidth / 100))),
    integerX,
    (axis) => fitsAlong(axis, plotWidth),
  );

  const toX = (x: number) => plotLeft + ((x - xAxis.min) / (xAxis.max - xAxis.min)) * plotWidth;
  const toY = (v: number) => plotBottom - ((v - yAxis.min) / (yAxis.max - yAxis.min)) * plotHeight;

  // Grid, frame and ticks.
  yAxis.ticks.forEach((tick, i) => {
    const py = Math.round(toY(tick));
    fillRect(raster, plotLeft, py, plotWidth, 1, GRID);
    fillRect(raster, plotLeft - TICK, py, TICK, 1, AXIS);
    const label = yAxis.labels[i]!;
    drawText(raster, label, plotLeft - TICK - 6 - textWidth(label, FONT), py - CAP / 2, MUTED, { scale: FONT });
  });
  xAxis.ticks.forEach((tick, i) => {
    const px = Math.round(toX(tick));
    fillRect(raster, px, plotTop, 1, plotHeight, GRID);
    fillRect(raster, px, plotBottom + 1, 1, TICK, AXIS);
    const label = xAxis.labels[i]!;
    drawText(raster, label, px - textWidth(label, FONT) / 2, plotBottom + TICK + 6, MUTED, { scale: FONT });
  });
  fillRect(raster, plotLeft, plotTop, 1, plotHeight + 1, AXIS);
  fillRect(raster, plotLeft, plotBottom, plotWidth, 1, AXIS);
  if (spec.xLabel) {
    const labelTop = plotBottom + TICK + 6 + textHeight(FONT) + 6;
    const labelLeft = plotLeft + (plotWidth - textWidth(spec.xLabel, FONT)) / 2;
    drawText(raster, spec.xLabel, labelLeft, labelTop, TEXT, { scale: FONT });
  }
  if (spec.yLabel) {
    const labelTop = plotTop + (plotHeight - textWidth(spec.yLabel, FONT)) / 2;
    drawText(raster, spec.yLabel, box.left + PAD, labelTop, TEXT, { scale: FONT, vertical: true });
  }
  if (all.length === 0) {
    const message = 'no finite values';
    const messageLeft = plotLeft + (plotWidth - textWidth(message, FONT)) / 2;
    drawText(raster, message, messageLeft, plotTop + plotHeight / 2 - CAP / 2, MUTED, { scale: FONT });
  }

  // The data: lines between consecutive finite points, then markers on top.
  points.forEach((series, s) => {
    const { color, marker } = styles[s]!;
    for (let i = 1; i < series.length; i++) {
      const [a, b] = [series[i - 1]!, series[i]!];
      if (b.index === a.index + 1) drawLine(raster, toX(a.x), toY(a.y), toX(b.x), toY(b.y), color, 2);
    }
    const spacing = series.length > 1 ? plotWidth / (series.length - 1) : Infinity;
    series.forEach((p, i) => {
      const isolated = series[i - 1]?.index !== p.index - 1 && series[i + 1]?.index !== p.index + 1;
      if (spacing >= 8 || isolated) drawMarker(raster, marker, toX(p.x), toY(p.y), color);
    });
  });
}

interface Point {
  x: number;
  y: number;
  /** position in the series, so lines are not drawn across skipped points */
  index: number;
}

const LARGEST = Number.MAX_VALUE / 4;

function finitePoints(series: Series): Point[] {
  if (series.x.length !== series.y.length) {
    throw new RangeError(`series ${series.name} has ${series.x.length} x values but ${series.y.length} y values`);
  }
  const points: Point[] = [];
  for (let index = 0; index < series.x.length; index++) {
    const x = series.x[index]!;
    const y = series.y[index]!;
    // Beyond ±MAX/4 the span of the axis could overflow to Infinity: such values count as infinite.
    if (Math.abs(x) <= LARGEST && Math.abs(y) <= LARGEST) points.push({ x, y, index });
  }
  return points;
}

/**
 * An axis covering `values` with a margin, ticked at nice values; a constant or empty set of values
 * gets a padded range. `fits` rejects tick sets that are too dense, and fewer ticks are tried.
 */
function makeAxis(values: number[], count: number, integer: boolean, fits: (axis: Axis) => boolean): Axis {
  let lo = values.length > 0 ? Infinity : 0;
  let hi = values.length > 0 ? -Infinity : 1;
  for (const value of values) {
    lo = Math.min(lo, value);
    hi = Math.max(hi, value);
  }
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  if (hi - lo <= magnitude * 1e-9) {
    // Constant: a range around the value wide enough for a few ticks.
    const pad = integer ? 1 : magnitude > 0 ? magnitude * 0.05 : 1;
    lo -= pad;
    hi += pad;
  } else {
    const margin = (hi - lo) * 0.05;
    lo -= margin;
    hi += margin;
  }
  let axis: Axis;
  for (let n = count; ; n--) {
    const { ticks, step } = niceTicks(lo, hi, n, integer ? 1 : 0);
    axis = { min: lo, max: hi, ticks, labels: formatTicks(ticks, step) };
    if (n <= 2 || fits(axis)) return axis;
  }
}

/** Whether the x tick labels of `axis` leave gaps between them over `length` pixels. */
function fitsAlong(axis: Axis, length: number): boolean {
  if (axis.ticks.length < 2) return true;
  const spacing = ((axis.ticks[1]! - axis.ticks[0]!) / (axis.max - axis.min)) * length;
  return Math.max(...axis.labels.map((label) => textWidth(label, FONT))) + 16 <= spacing;
}

/** Draws the legend entries in rows from the top-left of `area`; returns the y below the legend. */
function drawLegend(
  raster: Raster,
  spec: ChartSpec,
  styles: Array<{ color: Rgb; marker: Marker }>,
  points: Point[][],
  area: Box,
): number {
  const sample = 28;
  let x = area.left;
  let y = area.top;
  spec.series.forEach((series, s) => {
    const name = points[s]!.length === 0 ? `${series.name} (no finite values)` : series.name;
    const entryWidth = sample + 8 + textWidth(name, FONT);
    if (x > area.left && x + entryWidth > area.left + area.width) {
      x = area.left;
      y += textHeight(FONT) + 6;
    }
    const { color, marker } = styles[s]!;
    const mid = y + CAP / 2;
    drawLine(raster, x, mid, x + sample, mid, color, 2);
    drawMarker(raster, marker, x + sample / 2, mid, color);
    drawText(raster, name, x + sample + 8, y, TEXT, { scale: FONT });
    x += entryWidth + 24;
  });
  return spec.series.length > 0 ? y + textHeight(FONT) + 4 : y;
}

/** Draws a marker centred at (cx, cy), with a white outline so it stands out over lines. */
function drawMarker(raster: Raster, marker: Marker, cx: number, cy: number, color: Rgb): void {
  const r = 4.5;
  shape(raster, marker, cx, cy, r + 1.5, WHITE);
  shape(raster, marker, cx, cy, r, color);
}

function shape(raster: Raster, marker: Marker, cx: number, cy: number, r: number, color: Rgb): void {
  const box = { x0: cx - r - 1, y0: cy - r - 1, x1: cx + r + 1, y1: cy + r + 1 };
  const inside: Record<Marker, (x: number, y: number) => boolean> = {
    circle: (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r,
    square: (x, y) => Math.abs(x - cx) <= r * 0.85 && Math.abs(y - cy) <= r * 0.85,
    diamond: (x, y) => Math.abs(x - cx) + Math.abs(y - cy) <= r * 1.2,
    // Apex up, centred on the point by its centroid.
    triangle: (x, y) => {
      const t = (y - (cy - r)) / (1.6 * r);
      return t >= 0 && t <= 1 && Math.abs(x - cx) <= t * r * 1.1;
    },
  };
  fillShape(raster, box, inside[marker], color);
}
