/**
 * `entropy-sc export` and `encode` through the CLI on a tiny trained run (bars, low-rank): every
 * output written and equal to the library's, images with their pictures, and each bad input of the
 * export issue as one line, a non-zero exit and no output file left behind.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/npy/read.ts';
import { writeNpy } from '../../src/npy/write.ts';
import { Random } from '../../src/random.ts';
import { loadModel } from '../../inference/model.ts';
import { encodePng } from '../core/png-writer.ts';
import { runBinary, runCli, tempDir } from '../helpers/cli.ts';

const dir = tempDir('entropy-sc-encode-');
const model = join(dir, 'm.onnx');
const d = 25;
const n = 300;

beforeAll(() => {
  const train = runBinary([
    'train',
    '--data',
    'bars',
    '--latents',
    '10',
    '--posterior',
    'lowrank',
    '--rank',
    '2',
    '--epochs',
    '1',
    '--hidden',
    '16',
    '--inner',
    '16',
    '--workers',
    '1',
    '--out',
    join(dir, 'run'),
  ]);
  expect(train.code, train.stderr).toBe(0);
  const exported = runBinary(['export', '--run', join(dir, 'run'), '--out', model]);
  expect(exported.code, exported.stderr).toBe(0);
}, 120_000);

async function rows(name: string, count: number, edit?: (x: Float32Array) => void): Promise<string> {
  const rng = new Random(count);
  const x = Float32Array.from({ length: count * d }, () => rng.normal());
  edit?.(x);
  const path = join(dir, name);
  await writeNpy(path, { data: x, shape: [count, d] });
  return path;
}

/** One line on stderr naming the problem, exit 1, and `out` (when it exists) holds no output. */
async function refused(args: string[], pattern: RegExp, out?: string) {
  const r = await runCli(args);
  expect(r.code).toBe(1);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  if (out) expect(readdirSync(out).filter((f) => f.endsWith('.npy') || f.includes('.tmp-'))).toEqual([]);
}

describe('encode', () => {
  it('writes every output of a .npy file, equal to the library, streamed in batches', async () => {
    const data = await rows('x.npy', n);
    const out = join(dir, 'enc');
    const r = await runCli(['encode', '--model', model, '--data', data, '--out', out, '--batch', '64']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'cov_diag.npy',
      'cov_factor.npy',
      'elbo.npy',
      'mean.npy',
      'reconstruction.npy',
      'variance.npy',
    ]);
    const m = await loadModel(model);
    const expected = await m.encode((await readNpy(data)).data as Float32Array, n);
    await m.close();
    for (const [name, t] of Object.entries(expected)) {
      const file = await readNpy(join(out, `${name}.npy`));
      expect(file.shape).toEqual(t!.shape);
      expect(Array.from(file.data)).toEqual(Array.from(t!.data));
    }
  });

  it('--outputs writes only those', async () => {
    const out = join(dir, 'enc-some');
    const r = await runCli([
      'encode',
      '--model',
      model,
      '--data',
      await rows('x2.npy', 10),
      '--out',
      out,
      '--outputs',
      'mean,elbo',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['elbo.npy', 'mean.npy']);
  });

  it('images: per image the codes, the rebuilt image, the ELBO heat map and the grid', async () => {
    const images = join(dir, 'images');
    mkdirSync(images);
    const rng = new Random(9);
    writeFileSync(
      join(images, 'noise.png'),
      encodePng(
        32,
        24,
        0,
        8,
        Array.from({ length: 32 * 24 }, () => Math.floor(256 * rng.uniform())),
      ),
    );
    const out = join(dir, 'enc-images');
    const r = await runCli([
      'encode',
      '--model',
      model,
      '--data',
      `images:${images}`,
      '--out',
      out,
      '--outputs',
      'mean',
      '--stride',
      '2',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(out, 'noise')).sort()).toEqual(['elbo.png', 'mean.npy', 'reconstruction.png']);
    const layout = JSON.parse(readFileSync(join(out, 'images.json'), 'utf8')) as {
      images: Array<{ tops: number[]; lefts: number[]; width: number; height: number }>;
    };
    const [image] = layout.images;
    // 32×24 is whitened whole (no crop); windows of 5 at stride 2, the last one flush with the edge
    expect([image!.width, image!.height]).toEqual([32, 24]);
    expect(image!.tops).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 19]);
    expect((await readNpy(join(out, 'noise', 'mean.npy'))).shape).toEqual([
      image!.tops.length * image!.lefts.length,
      10,
    ]);
  });
});

describe('bad input: one line, exit 1, no partial output', () => {
  it('wrong D', async () => {
    const path = join(dir, 'wide.npy');
    await writeNpy(path, { data: new Float32Array(4 * 7), shape: [4, 7] });
    await refused(
      ['encode', '--model', model, '--data', path, '--out', join(dir, 'o1')],
      /wide\.npy has D=7 columns but .*m\.onnx expects D=25/,
    );
  });

  it('a NaN row, named by its row', async () => {
    const out = join(dir, 'o2');
    const data = await rows('nan.npy', n, (x) => (x[200 * d + 3] = NaN));
    await refused(
      ['encode', '--model', model, '--data', data, '--out', out, '--batch', '64'],
      /nan\.npy: non-finite value NaN at \[200, 3\]/,
      out,
    );
  });

  it('a file that is not ONNX, and an ONNX model without a card', async () => {
    const text = join(dir, 'text.onnx');
    writeFileSync(text, 'this is not a model\n');
    await refused(
      ['encode', '--model', text, '--data', await rows('x3.npy', 4), '--out', join(dir, 'o3')],
      /text\.onnx: not an ONNX model/,
    );
    const proto = onnxProto.onnx.ModelProto.decode(readFileSync(model));
    proto.metadataProps = [];
    const bare = join(dir, 'bare.onnx');
    writeFileSync(bare, onnxProto.onnx.ModelProto.encode(proto).finish());
    await refused(
      ['encode', '--model', bare, '--data', await rows('x4.npy', 4), '--out', join(dir, 'o4')],
      /bare\.onnx: an ONNX model but not an entropy-sc encoder/,
    );
  });

  it('an unknown output name', async () => {
    await refused(
      [
        'encode',
        '--model',
        model,
        '--data',
        await rows('x5.npy', 4),
        '--out',
        join(dir, 'o5'),
        '--outputs',
        'mean,codes',
      ],
      /unknown output 'codes'/,
    );
  });

  it('an image smaller than the patch', async () => {
    const images = join(dir, 'tiny-images');
    mkdirSync(images);
    writeFileSync(
      join(images, 'tiny.png'),
      encodePng(4, 4, 0, 8, [0, 50, 100, 150, 200, 250, 30, 60, 90, 120, 10, 20, 40, 80, 160, 240]),
    );
    await refused(
      ['encode', '--model', model, '--data', `images:${images}`, '--out', join(dir, 'o6')],
      /tiny\.png: 4×4 .* is smaller than its 5×5 patch/,
    );
  });

  it('export --triton onto a file, and --image of a run not on photographs: refused before anything is written', async () => {
    const file = join(dir, 'triton-file');
    writeFileSync(file, 'x');
    const out = join(dir, 'tr.onnx');
    await refused(
      ['export', '--run', join(dir, 'run'), '--out', out, '--triton', file],
      /--triton .*triton-file is a file; give a folder/,
    );
    await refused(
      ['export', '--run', join(dir, 'run'), '--out', out, '--image'],
      /did not learn from whitened photographs \(data bars/,
    );
    expect(existsSync(out) || existsSync(join(dir, 'tr.card.json'))).toBe(false);
  });

  it('an unwritable --out (encode and export)', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const data = await rows('x6.npy', 4);
    await refused(
      ['encode', '--model', model, '--data', data, '--out', file],
      /--out .*a-file: .*a-file is a file; give a folder/,
    );
    await refused(
      ['encode', '--model', model, '--data', data, '--out', join(file, 'sub')],
      /--out .*a-file\/sub: (cannot use .*\(ENOTDIR\)|.*a-file is a file)/,
    );
    await refused(
      ['encode', '--model', model, '--data', data, '--out', '/proc/entropy-sc-out'],
      /virtual proc file system/,
    );
    await refused(
      ['export', '--run', join(dir, 'run'), '--out', join(dir, 'missing', 'm.onnx')],
      /--out .*missing\/m\.onnx: its folder .* does not exist/,
    );
  });
});
