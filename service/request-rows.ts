/**
 * Rows from request bodies, validated once here: the `/v1/encode` JSON and .npy bodies (the OIP
 * body has its own module). Everything past this point trusts x [rows, D] to be finite float32.
 */
import { UserError } from '@entropy-sc/core/errors';
import { parseNpyBytes } from '@entropy-sc/core/npy/read';
import { checkFinite, checkRows, checkWidth } from '@entropy-sc/core/validate/arrays';
import { HttpError } from './http-error.ts';
import type { ModelInfo } from './model-info.ts';

export const BODY = 'request body';

export interface Rows {
  /** rows [rows, D], in a buffer of the request's own (a fresh array, or a view of its body) */
  x: Float32Array;
  rows: number;
}

/** The rows limit (413) and the model's width, for rows of any origin. */
export function checkShape(rows: number, d: number, info: ModelInfo, maxRows: number, name: string): void {
  if (rows > maxRows)
    throw new HttpError(413, `${name} has ${rows} rows, more than the limit of ${maxRows} rows per request`);
  checkWidth(d, info.d, name, `model '${info.card.name}'`);
}

/** Parses JSON text, naming the common mistake of NaN/Infinity literals (not JSON). */
export function parseJson(body: Buffer, name: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    if (/\b(NaN|-?Infinity)\b/.test(body.toString('latin1', 0, Math.min(body.length, 1 << 20))))
      throw new UserError(`${name} is not valid JSON: NaN and Infinity are not JSON numbers (the data must be finite)`);
    throw new UserError(`${name} is not valid JSON (${(error as Error).message.slice(0, 120)})`);
  }
}

/** `{"data": [[D numbers], ...], "outputs"?: ...}` */
export function jsonRows(parsed: unknown, info: ModelInfo, maxRows: number): Rows {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UserError(`${BODY}: expected a JSON object {"data": [[D numbers], ...]}`);
  if (!('data' in parsed))
    throw new UserError(`${BODY}: the key "data" is missing (expected {"data": [[D numbers], ...]})`);
  const data = (parsed as { data: unknown }).data;
  if (!Array.isArray(data) || (data.length > 0 && !Array.isArray(data[0])))
    throw new UserError(`${BODY}: "data" must be an array of rows [[D numbers], ...]`);
  const width = data.length > 0 ? (data[0] as unknown[]).length : 0;
  checkRows([data.length, width], `${BODY} "data"`);
  checkShape(data.length, width, info, maxRows, `${BODY} "data"`);
  const d = info.d;
  const x = new Float32Array(data.length * d);
  for (let i = 0; i < data.length; i++) {
    const row: unknown = data[i];
    if (!Array.isArray(row) || row.length !== d)
      throw new UserError(
        `${BODY}: data[${i}] is not a row of ${d} numbers (model '${info.card.name}' expects D=${d})`,
      );
    for (let j = 0; j < d; j++)
      if (typeof row[j] !== 'number')
        throw new UserError(`${BODY}: data[${i}][${j}] is ${JSON.stringify(row[j])?.slice(0, 40)}, not a number`);
    checkFinite(row as number[], `${BODY} "data"`, [1, d], i);
    x.set(row as number[], i * d);
  }
  return { x, rows: data.length };
}

/** An .npy body: float32 or float64 rows [N, D]. */
export function npyRows(body: Buffer, info: ModelInfo, maxRows: number): Rows {
  const array = parseNpyBytes(body, BODY);
  const [rows, d] = checkRows(array.shape, BODY);
  checkShape(rows, d, info, maxRows, BODY);
  checkFinite(array.data, BODY, array.shape);
  return { x: array.data instanceof Float32Array ? array.data : Float32Array.from(array.data), rows };
}
