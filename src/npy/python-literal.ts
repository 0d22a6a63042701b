/**
 * A parser for the small subset of Python literal syntax that .npy headers use (a dict of strings,
 * booleans, integers and tuples, as `repr` writes them), standing in for Python's `ast.literal_eval`.
 */

export type PyValue =
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'tuple'; items: PyValue[] }
  | { kind: 'list'; items: PyValue[] }
  | { kind: 'dict'; entries: Array<[PyValue, PyValue]> };

export class PyLiteralSyntaxError extends Error {
  override readonly name = 'PyLiteralSyntaxError';
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

/** Deeper nesting than any .npy header has is refused rather than recursed into (a stack overflow). */
const MAX_DEPTH = 32;

/** Parses one Python literal that fills all of `text` (surrounding whitespace allowed). */
export function parsePyLiteral(text: string): PyValue {
  let pos = 0;
  let depth = 0;

  const fail = (what: string): never => {
    throw new PyLiteralSyntaxError(`${what} at character ${pos}`);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const peek = () => {
    skipSpace();
    return text[pos];
  };
  const expect = (char: string) => {
    if (peek() !== char) fail(`expected '${char}'`);
    pos++;
  };

  function parseString(): PyValue {
    if (text[pos] === 'u' || text[pos] === 'U') pos++; // Python 2 unicode prefix
    const quote = text[pos];
    if (quote !== "'" && quote !== '"') return fail('expected a string');
    pos++;
    let value = '';
    while (pos < text.length && text[pos] !== quote) {
      if (text[pos] === '\\') {
        const code = text[pos + 1] ?? '';
        if (code === 'x' || code === 'u') {
          const digits = code === 'x' ? 2 : 4;
          const hex = text.slice(pos + 2, pos + 2 + digits);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) fail('bad escape');
          value += String.fromCharCode(parseInt(hex, 16));
          pos += 2 + digits;
        } else {
          const char = ESCAPES[code];
          if (char === undefined) fail('bad escape');
          value += char;
          pos += 2;
        }
      } else value += text[pos++];
    }
    if (pos >= text.length) fail('unterminated string');
    pos++;
    return { kind: 'str', value };
  }

  /** Items up to `close`; returns whether a comma followed the last item (the one-tuple case). */
  function parseItems(close: string): { items: PyValue[]; trailingComma: boolean } {
    const items: PyValue[] = [];
    let trailingComma = false;
    while (peek() !== close) {
      items.push(parseValue());
      trailingComma = false;
      if (peek() === ',') {
        pos++;
        trailingComma = true;
      } else if (peek() !== close) fail(`expected ',' or '${close}'`);
    }
    pos++;
    return { items, trailingComma };
  }

  function parseValue(): PyValue {
    if (++depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    try {
      return parseOne();
    } finally {
      depth--;
    }
  }

  function parseOne(): PyValue {
    const char = peek();
    if (char === undefined) return fail('unexpected end');
    if (char === '{') {
      pos++;
      const entries: Array<[PyValue, PyValue]> = [];
      while (peek() !== '}') {
        const key = parseValue();
        expect(':');
        entries.push([key, parseValue()]);
        if (peek() === ',') pos++;
        else if (peek() !== '}') fail("expected ',' or '}'");
      }
      pos++;
      return { kind: 'dict', entries };
    }
    if (char === '(') {
      pos++;
      const { items, trailingComma } = parseItems(')');
      // `(3)` is just 3 in Python; only `()`, `(3,)` and `(3, 4)` are tuples.
      if (items.length === 1 && !trailingComma) return items[0]!;
      return { kind: 'tuple', items };
    }
    if (char === '[') {
      pos++;
      return { kind: 'list', items: parseItems(']').items };
    }
    if (char === "'" || char === '"' || /[uU]['"]/.test(text.slice(pos, pos + 2))) return parseString();
    const number = /^[-+]?\d+[lL]?(?![\w.])/.exec(text.slice(pos));
    if (number) {
      pos += number[0].length;
      const value = Number(number[0].replace(/[lL]$/, ''));
      if (!Number.isSafeInteger(value)) fail('integer too large');
      return { kind: 'int', value };
    }
    const word = /^[A-Za-z_]\w*/.exec(text.slice(pos));
    if (word) {
      pos += word[0].length;
      if (word[0] === 'True' || word[0] === 'False') return { kind: 'bool', value: word[0] === 'True' };
      if (word[0] === 'None') return { kind: 'none' };
      return fail(`unexpected name '${word[0]}'`);
    }
    return fail(`unexpected '${char}'`);
  }

  const value = parseValue();
  if (peek() !== undefined) fail('unexpected text after the literal');
  return value;
}
