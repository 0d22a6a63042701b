import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { formatNpyHeader, parseNpyHeader, type NpyDtype } from '../../src/npy/header.ts';
import { npyBytes } from './npy-files.ts';

/**
 * Headers exactly as NumPy (≥ 1.24) writes them, checked against `numpy.lib.format` when these
 * tests were written: the dict, the 21 − len(str(shape[0])) spare spaces for the growing axis,
 * padding spaces, and '\n' as the last byte; magic + length + text is a multiple of 64 bytes.
 */
const NUMPY_HEADERS: Array<{ dtype: NpyDtype; shape: number[]; fortran: boolean; text: string }> = [
  {
    dtype: 'float32',
    shape: [2, 3],
    fortran: false,
    text: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + ' '.repeat(58) + '\n',
  },
  {
    dtype: 'float64',
    shape: [0, 5],
    fortran: false,
    text: "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 5), }" + ' '.repeat(58) + '\n',
  },
  {
    dtype: 'float32',
    shape: [1, 5],
    fortran: false,
    text: "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 5), }" + ' '.repeat(58) + '\n',
  },
  {
    dtype: 'float64',
    shape: [5],
    fortran: false,
    text: "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }" + ' '.repeat(60) + '\n',
  },
  {
    dtype: 'float32',
    shape: [],
    fortran: false,
    text: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }" + ' '.repeat(62) + '\n',
  },
  {
    dtype: 'float64',
    shape: [10, 2],
    fortran: false,
    text: "{'descr': '<f8', 'fortran_order': False, 'shape': (10, 2), }" + ' '.repeat(57) + '\n',
  },
  {
    dtype: 'float32',
    shape: [2, 3, 4],
    fortran: true,
    text: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 4), }" + ' '.repeat(56) + '\n',
  },
  // The spare spaces push this one past 128 bytes (older NumPy, without them, would stop at 128).
  {
    dtype: 'float64',
    shape: new Array<number>(16).fill(1),
    fortran: false,
    text:
      `{'descr': '<f8', 'fortran_order': False, 'shape': (${new Array(16).fill(1).join(', ')}), }` +
      ' '.repeat(80) +
      '\n',
  },
];

describe('formatNpyHeader', () => {
  it.each(NUMPY_HEADERS)('writes the bytes NumPy writes for $dtype $shape', ({ dtype, shape, fortran, text }) => {
    const expected = npyBytes(text);
    expect(expected.length % 64).toBe(0);
    expect(Buffer.from(formatNpyHeader({ dtype, shape, fortranOrder: fortran })).equals(Buffer.from(expected))).toBe(
      true,
    );
  });

  it('switches to version 2.0 when the header outgrows 65535 bytes', () => {
    const shape = new Array<number>(30000).fill(3);
    const bytes = formatNpyHeader({ dtype: 'float32', shape });
    expect([bytes[6], bytes[7]]).toEqual([2, 0]);
    expect(bytes.length % 64).toBe(0);
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(bytes.length - 12);
    expect(parseNpyHeader(bytes, 'big.npy').shape).toEqual(shape);
  });
});

describe('parseNpyHeader', () => {
  it.each(NUMPY_HEADERS)('reads the header NumPy writes for $dtype $shape', ({ dtype, shape, fortran, text }) => {
    const bytes = npyBytes(text);
    expect(parseNpyHeader(bytes, 'a.npy')).toEqual({
      dtype,
      shape,
      fortranOrder: fortran,
      dataOffset: bytes.length,
      version: 1,
    });
  });

  it('reads versions 2.0 and 3.0 (UTF-8) headers', () => {
    const text = "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 7), }" + ' '.repeat(56) + '\n';
    const v2 = npyBytes(text, undefined, [2, 0]);
    expect(v2.length).toBe(128);
    expect(parseNpyHeader(v2, 'a.npy')).toEqual({
      dtype: 'float64',
      shape: [4, 7],
      fortranOrder: false,
      dataOffset: 128,
      version: 2,
    });
    // Version 3.0 exists for UTF-8 text: here a non-ASCII character in (ignored) padding position.
    const v3 = npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }\u00a0\n", undefined, [3, 0]);
    expect(parseNpyHeader(v3, 'a.npy')).toMatchObject({
      dtype: 'float32',
      shape: [3],
      fortranOrder: true,
      version: 3,
      dataOffset: v3.length,
    });
  });

  it('accepts what other writers produce: other key order, no trailing comma, double quotes, Python 2 longs, 16-byte alignment', () => {
    const variants: Array<[string, number[]]> = [
      ['{"shape": (3, 2), "fortran_order": False, "descr": "<f4"}\n', [3, 2]],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 2L), }      \n", [3, 2]],
      ["{'descr':'<f4','fortran_order':False,'shape':(7,)}", [7]],
      ["{'descr': u'<f4', 'fortran_order': False, 'shape': (0,), }\n", [0]],
    ];
    for (const [text, shape] of variants)
      expect(parseNpyHeader(npyBytes(text), 'a.npy')).toMatchObject({ dtype: 'float32', shape });
  });

  it.each([
    ['<f4', 'float32'],
    ['=f4', 'float32'],
    ['|f4', 'float32'],
    ['f4', 'float32'],
    ['<f8', 'float64'],
    ['=f8', 'float64'],
    ['|f8', 'float64'],
    ['<d', 'float64'],
    ['float64', 'float64'],
  ])('reads descr %s as %s, as numpy.dtype does', (descr, dtype) => {
    const bytes = npyBytes(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }\n`);
    expect(parseNpyHeader(bytes, 'a.npy').dtype).toBe(dtype);
  });

  it.each([
    ['>f4', /W\.npy: big-endian dtype '>f4' is not supported/],
    ['>f8', /W\.npy: big-endian dtype '>f8'/],
    ['<i4', /^W\.npy: expected dtype float32 or float64, got '<i4'$/],
    ['<f2', /got '<f2'/],
    ['|u1', /got '\|u1'/],
    ['<c16', /got '<c16'/],
    ['|float32', /got '\|float32'/],
  ])('refuses descr %s', (descr, message) => {
    const bytes = npyBytes(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }\n`);
    expect(() => parseNpyHeader(bytes, 'W.npy')).toThrow(UserError);
    expect(() => parseNpyHeader(bytes, 'W.npy')).toThrow(message);
  });

  it('refuses structured dtypes', () => {
    const bytes = npyBytes("{'descr': [('a', '<f4'), ('b', '<f8')], 'fortran_order': False, 'shape': (2,), }\n");
    expect(() => parseNpyHeader(bytes, 'W.npy')).toThrow(
      /W\.npy: expected dtype float32 or float64, got a structured dtype/,
    );
  });

  it.each([
    ["{'descr': '<f4', 'fortran_order': False}", /keys must be descr, fortran_order, shape/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", /keys must be/],
    ["{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", /fortran_order is not True or False/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", /shape is not a tuple/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", /shape is not a tuple/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3)}", /shape is not a tuple of non-negative/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}", /bad \.npy header/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", /bad \.npy header/],
    ["['descr', '<f4']", /not a dictionary/],
    ["{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}", /unexpected name 'false'/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", /bad \.npy header/],
  ])('refuses the bad header %s', (text, message) => {
    const bytes = npyBytes(text);
    expect(() => parseNpyHeader(bytes, 'X.npy')).toThrow(UserError);
    expect(() => parseNpyHeader(bytes, 'X.npy')).toThrow(message);
    expect(() => parseNpyHeader(bytes, 'X.npy')).toThrow(/^X\.npy: bad \.npy header/);
  });

  it('refuses a missing magic string and unknown versions', () => {
    const good = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n");
    const noMagic = Uint8Array.from(good);
    noMagic[1] = 0x4f;
    expect(() => parseNpyHeader(noMagic, 'X.npy')).toThrow(/^X\.npy: not an \.npy file/);
    expect(() => parseNpyHeader(new TextEncoder().encode('a,b\n1,2\n'), 'X.npy')).toThrow(/^X\.npy: not an \.npy file/);
    for (const version of [
      [4, 0],
      [1, 1],
      [0, 0],
    ] as Array<[number, number]>) {
      const bytes = Uint8Array.from(good);
      bytes[6] = version[0];
      bytes[7] = version[1];
      expect(() => parseNpyHeader(bytes, 'X.npy')).toThrow(
        new UserError(`X.npy: unsupported .npy format version ${version[0]}.${version[1]} (supported: 1.0, 2.0, 3.0)`),
      );
    }
    expect(() => parseNpyHeader(good.subarray(0, 40), 'X.npy')).toThrow(/^X\.npy: truncated \.npy header$/);
  });
});
