/**
 * `demo --out` (issue 9, item 4): a non-empty folder that is not a demo run is refused untouched,
 * and replacing a demo run removes only the files the demo writes.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBinary, tempDir } from '../../helpers/cli.ts';

describe('demo --out', () => {
  it('refuses a non-empty folder that holds no demo run, and leaves it as it was', () => {
    const out = tempDir('entropy-sc-demo-');
    writeFileSync(join(out, 'thesis.tex'), 'precious');
    const r = runBinary(['demo', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^entropy-sc: --out .* is not empty and holds no demo run \(no demo\.json\); choose an empty or new folder\n$/,
    );
    expect(readdirSync(out)).toEqual(['thesis.tex']);
  });

  it("replacing a demo run removes only the demo's own files", () => {
    const out = tempDir('entropy-sc-demo-');
    for (const file of ['demo.json', 'metrics.jsonl', 'model.onnx', 'held-out.npy', 'notes.txt'])
      writeFileSync(join(out, file), 'x');
    mkdirSync(join(out, 'held-out'));
    writeFileSync(join(out, 'held-out', 'mean.npy'), 'x');
    writeFileSync(join(out, 'held-out', 'mine.csv'), 'x');
    // a model that cannot be read stops the demo right after the folder is cleared
    const r = runBinary(['demo', '--out', out, '--model', join(out, 'no-such.onnx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^entropy-sc: .*no-such\.onnx: cannot read it as an ONNX model \(ENOENT[^\n]*\n$/);
    expect(readdirSync(out).sort()).toEqual(['held-out', 'notes.txt']);
    expect(readdirSync(join(out, 'held-out'))).toEqual(['mine.csv']);
    expect(existsSync(join(out, 'demo.json'))).toBe(false);
  });
});
