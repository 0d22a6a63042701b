/**
 * A built-in 5×8 bitmap font for printable ASCII (32..126), so plots need no font files or canvas.
 * Capitals and digits are 7 rows high; row 8 holds the descenders of g, j, p, q, y and the comma.
 */

/** Glyph cell size in font pixels: 5 columns of ink plus 1 column of spacing, 8 rows. */
export const GLYPH_WIDTH = 5;
export const GLYPH_ADVANCE = 6;
export const GLYPH_HEIGHT = 8;

// Ten hex digits per glyph: five column bytes, left to right, bit 0 the top row.
const GLYPHS =
  /*  !"#$%&' */ '0000000000' + '00005f0000' + '0007000700' + '147f147f14' + '242a7f2a12' + '2313086462' + '3649562050' + '0000070000' +
  /* ()*+,-./ */ '001c224100' + '0041221c00' + '2a1c7f1c2a' + '08083e0808' + '0080603000' + '0808080808' + '0000606000' + '2010080402' +
  /* 01234567 */ '3e5149453e' + '00427f4000' + '6251494946' + '2241494936' + '1814127f10' + '2745454539' + '3c4a494930' + '0171090503' +
  /* 89:;<=>? */ '3649494936' + '064949291e' + '0000360000' + '0080560000' + '0814224100' + '1414141414' + '0041221408' + '0201510906' +
  /* @ABCDEFG */ '3e415d594e' + '7e1111117e' + '7f49494936' + '3e41414122' + '7f4141413e' + '7f49494941' + '7f09090901' + '3e41495172' +
  /* HIJKLMNO */ '7f0808087f' + '00417f4100' + '2040413f01' + '7f08142241' + '7f40404040' + '7f020c027f' + '7f0408107f' + '3e4141413e' +
  /* PQRSTUVW */ '7f09090906' + '3e4151215e' + '7f09192946' + '2649494932' + '01017f0101' + '3f4040403f' + '1f2040201f' + '3f4038403f' +
  /* XYZ[\]^_ */ '6314081463' + '0304780403' + '6151494543' + '007f414100' + '0204081020' + '0041417f00' + '0402010204' + '4040404040' +
  /* `abcdefg */ '0001020000' + '2054547840' + '7f48444438' + '3844444428' + '384444487f' + '3854545418' + '087e090102' + '18a4a4a47c' +
  /* hijklmno */ '7f08040478' + '00447d4000' + '4080847d00' + '7f10284400' + '00417f4000' + '7c04780478' + '7c08040478' + '3844444438' +
  /* pqrstuvw */ 'fc24242418' + '182424fc80' + '7c08040408' + '4854545424' + '043f444020' + '3c4040207c' + '1c2040201c' + '3c4030403c' +
  /* xyz{|}~  */ '4428102844' + '1ca0a0a07c' + '4464544c44' + '0008364100' + '00007f0000' + '0041360800' + '0201020402';

/** The column bytes of printable ASCII glyphs, indexed by char code − 32. */
const COLUMNS: Uint8Array = Uint8Array.from(GLYPHS.match(/../g) ?? [], (byte) => parseInt(byte, 16));

/**
 * The bitmap of one character: [GLYPH_HEIGHT * GLYPH_WIDTH] row-major, 1 where there is ink.
 * Characters outside printable ASCII are drawn as '?'.
 */
export function glyphBitmap(char: string): Uint8Array {
  let code = char.codePointAt(0) ?? 63;
  if (code < 32 || code > 126) code = 63;
  const bitmap = new Uint8Array(GLYPH_HEIGHT * GLYPH_WIDTH);
  for (let col = 0; col < GLYPH_WIDTH; col++) {
    const bits = COLUMNS[(code - 32) * GLYPH_WIDTH + col]!;
    for (let row = 0; row < GLYPH_HEIGHT; row++) bitmap[row * GLYPH_WIDTH + col] = (bits >> row) & 1;
  }
  return bitmap;
}
