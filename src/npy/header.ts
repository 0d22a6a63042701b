/**
 * The .npy header (NumPy format versions 1.0, 2.0 and 3.0): parsing the magic string, version,
 * header length and the Python-dict header text, and formatting headers byte for byte as NumPy
 * writes them. Only little-endian float32 and float64 arrays are supported.
 */
import { UserError } from '../errors.ts';
import { PyLiteralSyntaxError, parsePyLiteral, type PyValue } from './python-literal.ts';

export type NpyDtype = 'float32' | 'float64';

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Data stored column-major (the readers convert it to C order). */
  fortranOrder: boolean;
  /** Byte offset of the first element. */
  dataOffset: number;
  version: 1 | 2 | 3;
}

/** "\x93NUMPY" */
export const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);
/** Bytes needed to know the header's length: magic, version, and a 4-byte length (versions 2-3). */
export const NPY_PREAMBLE_BYTES = 12;
/** NumPy pads magic + length + header to a multiple of this. */
const ARRAY_ALIGN = 64;
/** NumPy leaves room to rewrite the growing axis' length in place (`GROWTH_AXIS_MAX_DIGITS`). */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** Larger headers are refused rather than read (NumPy's own limit is 10 000 characters). */
const MAX_HEADER_BYTES = 1 << 20;

const DESCR: Record<NpyDtype, string> = { float32: '<f4', float64: '<f8' };

export function itemSize(dtype: NpyDtype): number {
  return dtype === 'float32' ? 4 : 8;
}

/**
 * Reads magic, version and header length.
 * @param bytes the file's first NPY_PREAMBLE_BYTES bytes (fewer if the file is shorter)
 * @returns the version and the offset of the first data byte
 */
export function parseNpyPreamble(bytes: Uint8Array, file: string): { version: 1 | 2 | 3; dataOffset: number } {
  const hasMagic = bytes.length >= 8 && NPY_MAGIC.every((byte, i) => bytes[i] === byte);
  if (!hasMagic) throw new UserError(`${file}: not an .npy file (no \\x93NUMPY magic string at the start)`);
  const [major, minor] = [bytes[6]!, bytes[7]!];
  if (!(major >= 1 && major <= 3 && minor === 0))
    throw new UserError(`${file}: unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  const version = major as 1 | 2 | 3;
  const lengthBytes = version === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new UserError(`${file}: truncated .npy header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = version === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES)
    throw new UserError(`${file}: .npy header of ${headerLength} bytes is implausibly long`);
  return { version, dataOffset: 8 + lengthBytes + headerLength };
}

/**
 * Parses a whole header.
 * @param bytes the file's first bytes, at least up to the data offset
 */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  const { version, dataOffset } = parseNpyPreamble(bytes.subarray(0, NPY_PREAMBLE_BYTES), file);
  if (bytes.length < dataOffset) throw new UserError(`${file}: truncated .npy header`);
  const textBytes = bytes.subarray(version === 1 ? 10 : 12, dataOffset);
  // Versions 1.0 and 2.0 are latin1, 3.0 is UTF-8.
  const text = new TextDecoder(version === 3 ? 'utf-8' : 'latin1').decode(textBytes);
  return { ...parseHeaderText(text, file), dataOffset, version };
}

function parseHeaderText(text: string, file: string): Pick<NpyHeader, 'dtype' | 'shape' | 'fortranOrder'> {
  const bad = (why: string): never => {
    throw new UserError(`${file}: bad .npy header (${why}): ${JSON.stringify(text.trim())}`);
  };
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (error) {
    if (error instanceof PyLiteralSyntaxError) return bad(error.message);
    throw error;
  }
  if (dict.kind !== 'dict') return bad('not a dictionary');
  const fields = new Map<string, PyValue>();
  for (const [key, value] of dict.entries) {
    if (key.kind !== 'str') return bad('non-string key');
    fields.set(key.value, value);
  }
  const keys = [...fields.keys()].sort();
  if (keys.join() !== 'descr,fortran_order,shape')
    return bad(`keys must be descr, fortran_order, shape; got ${keys.join(', ')}`);

  const shape = fields.get('shape')!;
  if (shape.kind !== 'tuple' || !shape.items.every((item) => item.kind === 'int' && item.value >= 0))
    return bad('shape is not a tuple of non-negative integers');
  const fortran = fields.get('fortran_order')!;
  if (fortran.kind !== 'bool') return bad('fortran_order is not True or False');
  return {
    dtype: parseDescr(fields.get('descr')!, file),
    shape: shape.items.map((item) => (item as { value: number }).value),
    fortranOrder: fortran.value,
  };
}

/**
 * The dtype of a `descr` the way `numpy.dtype` reads it: '<f4' and '<f8' (what NumPy writes), also
 * with '=' or '|' (native order, little-endian on every machine this runs on) or no order character.
 */
function parseDescr(descr: PyValue, file: string): NpyDtype {
  if (descr.kind !== 'str') throw new UserError(`${file}: expected dtype float32 or float64, got a structured dtype`);
  const match = /^([<>=|]?)(f4|f|f8|d|float32|float64)$/.exec(descr.value);
  const named = match && /^float/.test(match[2]!);
  if (match && match[1] === '>')
    throw new UserError(
      `${file}: big-endian dtype '${descr.value}' is not supported; save it little-endian, e.g. with arr.astype('<f4')`,
    );
  if (!match || (named && match[1] !== ''))
    throw new UserError(`${file}: expected dtype float32 or float64, got '${descr.value}'`);
  return ['f4', 'f', 'float32'].includes(match[2]!) ? 'float32' : 'float64';
}

/** Python's repr of a tuple of ints: "()", "(5,)", "(2, 3)". */
function tupleRepr(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * The header bytes NumPy (≥ 1.24) writes for an array: the smallest version that holds it, keys
 * sorted, spare spaces after the dict for the growing axis, padded with spaces and a final '\n' so
 * that the data starts at a multiple of 64 bytes.
 * @param version force a format version (NumPy picks 1 unless the header exceeds 65535 bytes)
 */
export function formatNpyHeader(
  header: { dtype: NpyDtype; shape: readonly number[]; fortranOrder?: boolean },
  version?: 1 | 2 | 3,
): Uint8Array {
  const { dtype, shape, fortranOrder = false } = header;
  let dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${tupleRepr(shape)}, }`;
  if (shape.length > 0)
    dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[fortranOrder ? shape.length - 1 : 0]).length);
  const text = new TextEncoder().encode(dict); // ASCII, so the same in latin1 and UTF-8
  const pick = version ?? (alignedLength(text.length, 10) - 10 <= 0xffff ? 1 : 2);
  const prefixLength = pick === 1 ? 10 : 12;
  const total = alignedLength(text.length, prefixLength);
  const bytes = new Uint8Array(total).fill(0x20);
  bytes.set(NPY_MAGIC);
  bytes[6] = pick;
  bytes[7] = 0;
  const view = new DataView(bytes.buffer);
  if (pick === 1) view.setUint16(8, total - prefixLength, true);
  else view.setUint32(8, total - prefixLength, true);
  bytes.set(text, prefixLength);
  bytes[total - 1] = 0x0a;
  return bytes;
}

/** Magic + length + header text + at least one padding byte ('\n'), rounded up to ARRAY_ALIGN. */
function alignedLength(textLength: number, prefixLength: number): number {
  // As NumPy: padlen = ALIGN - (unpadded % ALIGN), a whole block of padding when already aligned.
  const unpadded = prefixLength + textLength + 1;
  return unpadded + ARRAY_ALIGN - (unpadded % ARRAY_ALIGN);
}
