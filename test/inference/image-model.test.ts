/**
 * The image model (export --image): its `whitened` against a float64 whitening written here from
 * math.md's formula (a direct DFT, separable), on odd and non-square sizes; its per-window outputs
 * against the patch model on windows this test cuts; gray and RGB; a batch of equal-size images;
 * the low-rank outputs; the overlap average; and bad input in the library and the CLI.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImagePixels, type ImagePixels } from '../../src/data/image-file.ts';
import { loadImageSet } from '../../src/data/image-set.ts';
import { readNpy } from '../../src/npy/read.ts';
import { Random } from '../../src/random.ts';
import { OUTPUT_NAMES } from '../../src/schema/onnx-contract.ts';
import { buildImageModel } from '../../inference/image-model-build.ts';
import { OnnxImageModel } from '../../inference/image-model.ts';
import { loadModel, OnnxEncoderModel, type EncoderModel } from '../../inference/model.ts';
import { encodePng } from '../core/png-writer.ts';
import { runBinary, runCli, tempDir } from '../helpers/cli.ts';
import { FIXTURE_PATCH, imageCardPatchModel } from '../helpers/image-card-model.ts';

const dir = tempDir('entropy-sc-image-model-');

/** `encode --model dir/MODEL --data images:FOLDER --out dir/OUT`, which must succeed. */
async function encodeFolder(model: string, folder: string, out: string, extra: readonly string[] = []): Promise<void> {
  const r = await runCli([
    'encode',
    '--model',
    join(dir, model),
    '--data',
    `images:${folder}`,
    '--out',
    join(dir, out),
    ...extra,
  ]);
  expect(r.code, r.stderr).toBe(0);
}
const P = FIXTURE_PATCH;
const STRIDE = 3;
let patchModel: OnnxEncoderModel;
let imageModel: OnnxImageModel;
const imagePath = join(dir, 'img.onnx');

beforeAll(async () => {
  const bytes = imageCardPatchModel();
  writeFileSync(join(dir, 'patch.onnx'), bytes);
  const built = buildImageModel(onnxProto.onnx.ModelProto.decode(bytes), (await load('patch.onnx')).card, STRIDE);
  writeFileSync(imagePath, built.bytes);
  patchModel = (await load('patch.onnx')) as OnnxEncoderModel;
  imageModel = (await load('img.onnx')) as OnnxImageModel;
});

afterAll(async () => {
  await patchModel?.close();
  await imageModel?.close();
});

const load = (file: string): Promise<EncoderModel> => loadModel(join(dir, file), { intraOpThreads: 1 });

function randomImage(width: number, height: number, channels: number, seed: number, name = 'noise.png'): ImagePixels {
  const rng = new Random(seed);
  const data = Uint8Array.from({ length: width * height * channels }, () => Math.floor(256 * rng.uniform()));
  return { width, height, channels, data, name };
}

/** math.md's gray conversion, in float64. */
function referenceGray(image: ImagePixels): Float64Array {
  const { width, height, channels, data } = image;
  return Float64Array.from({ length: width * height }, (_, p) =>
    channels === 1
      ? data[p]! / 255
      : Math.min(1, (0.299 * data[3 * p]! + 0.587 * data[3 * p + 1]! + 0.114 * data[3 * p + 2]!) / 255),
  );
}

/** A 1-D DFT of every line of a complex array along one axis, by the definition (sign −1 forward). */
function dftAxis(re: Float64Array, im: Float64Array, width: number, height: number, alongRows: boolean, sign: number) {
  const n = alongRows ? width : height;
  const lines = alongRows ? height : width;
  const cos = Float64Array.from({ length: n * n }, (_, t) =>
    Math.cos((2 * Math.PI * ((Math.floor(t / n) * (t % n)) % n)) / n),
  );
  const sin = Float64Array.from({ length: n * n }, (_, t) =>
    Math.sin((2 * Math.PI * ((Math.floor(t / n) * (t % n)) % n)) / n),
  );
  const at = (line: number, k: number) => (alongRows ? line * width + k : k * width + line);
  const lr = new Float64Array(n);
  const li = new Float64Array(n);
  for (let line = 0; line < lines; line++) {
    for (let k = 0; k < n; k++) {
      lr[k] = re[at(line, k)]!;
      li[k] = im[at(line, k)]!;
    }
    for (let u = 0; u < n; u++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < n; k++) {
        const c = cos[u * n + k]!;
        const s = sign * sin[u * n + k]!;
        sr += lr[k]! * c - li[k]! * s;
        si += lr[k]! * s + li[k]! * c;
      }
      re[at(line, u)] = sr;
      im[at(line, u)] = si;
    }
  }
}

/**
 * math.md's whitening, float64: mean removed, X(f)·|f|·exp(−(|f|/f₀)⁴) with |f| = S·√((u/H)² + (v/W)²)
 * (signed frequencies), f₀ = 0.4·S, S = √(H·W), transformed back, variance 0.1.
 */
function referenceWhitening(gray: Float64Array, width: number, height: number): Float64Array {
  const n = width * height;
  const mean = gray.reduce((a, b) => a + b, 0) / n;
  const re = gray.map((v) => v - mean);
  const im = new Float64Array(n);
  dftAxis(re, im, width, height, true, -1);
  dftAxis(re, im, width, height, false, -1);
  const s = Math.sqrt(width * height);
  const signed = (k: number, len: number) => (2 * k < len ? k : k - len);
  for (let u = 0; u < height; u++)
    for (let v = 0; v < width; v++) {
      const f = s * Math.hypot(signed(u, height) / height, signed(v, width) / width);
      const r = f * Math.exp(-((f / (0.4 * s)) ** 4));
      re[u * width + v]! *= r;
      im[u * width + v]! *= r;
    }
  dftAxis(re, im, width, height, true, 1);
  dftAxis(re, im, width, height, false, 1);
  const real = re.map((v) => v / n);
  const m = real.reduce((a, b) => a + b, 0) / n;
  const variance = real.reduce((a, b) => a + (b - m) ** 2, 0) / n;
  return real.map((v) => v * Math.sqrt(0.1 / variance));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Windows origins written out: 0, S, 2S, … below n − P, then n − P. */
function origins(n: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < n - P; o += STRIDE) out.push(o);
  out.push(n - P);
  return out;
}

describe('the image model', () => {
  it('is what the card says: uint8 images in, the stride and window recorded', () => {
    expect(imageModel.kind).toBe('image');
    expect(imageModel.card.image).toEqual({ patch: P, stride: STRIDE });
    expect(imageModel.card.name).toBe(`${patchModel.card.name}-image`);
    // the patch model's outputs (the fixture has `covariance` too) and `whitened`, in cli.md's order
    expect(patchModel.outputs).toContain('cov_factor');
    expect(imageModel.outputs).toEqual(
      OUTPUT_NAMES.filter((name) => name === 'whitened' || patchModel.outputs.includes(name)),
    );
    const graph = onnxProto.onnx.ModelProto.decode(readFileSync(imagePath)).graph!;
    const input = graph.input!.find((v) => v.name === 'image')!;
    expect(input.type!.tensorType!.elemType).toBe(onnxProto.onnx.TensorProto.DataType.UINT8);
    expect(input.type!.tensorType!.shape!.dim!.map((d) => d.dimParam)).toEqual([
      'batch',
      'height',
      'width',
      'channels',
    ]);
    // Θ keeps its contract names
    const initializers = graph.initializer!.map((t) => t.name);
    expect(initializers).toEqual(expect.arrayContaining(['dictionary', 'prior_scales', 'noise_variance']));
  });

  for (const [width, height] of [
    [37, 53],
    [99, 77],
    [512, 512],
  ] as const)
    it(`whitens a ${width}×${height} image as math.md says (float64 reference, no crop)`, async () => {
      for (const channels of width === 512 ? [3] : [1, 3]) {
        const image = randomImage(width, height, channels, width + channels);
        const reference = referenceWhitening(referenceGray(image), width, height);
        const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const [graph] = await imageModel.encodeImages([image], { outputs: ['whitened'] });
        expect(graph!.outputs.whitened!.shape).toEqual([height, width]);
        expect(maxAbsDiff(graph!.outputs.whitened!.data, reference) / scale).toBeLessThan(1e-6);
        // the TypeScript whitening (training, patches, encode with a patch model) agrees too
        const [ts] = await patchModel.encodeImages([image], { outputs: ['whitened'] });
        expect(maxAbsDiff(ts!.outputs.whitened!.data, reference) / scale).toBeLessThan(1e-6);
      }
    });

  it('gives per window the patch model’s outputs for the windows this test cuts (gray and RGB)', async () => {
    for (const channels of [1, 3]) {
      const [width, height] = [23, 17];
      const image = randomImage(width, height, channels, 40 + channels);
      const whitened = referenceWhitening(referenceGray(image), width, height);
      const tops = origins(height);
      const lefts = origins(width);
      const x = new Float32Array(tops.length * lefts.length * P * P);
      let k = 0;
      for (const top of tops)
        for (const left of lefts)
          for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) x[k++] = whitened[(top + i) * width + left + j]!;
      const rows = tops.length * lefts.length;
      const expected = await patchModel.encode(x, rows);
      const [codes] = await imageModel.encodeImages([image]);
      expect([codes!.tops, codes!.lefts]).toEqual([tops, lefts]);
      const out = codes!.outputs;
      expect(out.mean!.shape).toEqual([tops.length, lefts.length, patchModel.h]);
      expect(out.elbo!.shape).toEqual([tops.length, lefts.length]);
      expect(out.cov_factor!.shape).toEqual([tops.length, lefts.length, patchModel.h, 2]);
      expect(out.cov_diag!.shape).toEqual([tops.length, lefts.length, patchModel.h]);
      for (const name of ['mean', 'variance', 'elbo', 'cov_factor', 'cov_diag'] as const) {
        const scale = Math.max(1, ...Array.from(expected[name]!.data, Math.abs));
        expect(maxAbsDiff(out[name]!.data, expected[name]!.data) / scale, name).toBeLessThan(1e-4);
      }
      // reconstruction: each pixel the mean of W̃·ν over the windows covering it
      const sum = new Float64Array(width * height);
      const count = new Float64Array(width * height);
      const recon = expected.reconstruction!.data;
      k = 0;
      for (const top of tops)
        for (const left of lefts) {
          for (let i = 0; i < P; i++)
            for (let j = 0; j < P; j++) {
              sum[(top + i) * width + left + j]! += recon[k * P * P + i * P + j]!;
              count[(top + i) * width + left + j]!++;
            }
          k++;
        }
      const average = sum.map((s, p) => s / count[p]!);
      expect(maxAbsDiff(out.reconstruction!.data, average)).toBeLessThan(1e-4);
    }
  });

  it('encodes a batch of equal-size images in one run as it encodes each alone, and as the patch model does', async () => {
    const images = [0, 1, 2].map((m) => randomImage(30, 21, 3, 60 + m, `b${m}.png`));
    const batch = await imageModel.encodeImages(images);
    const viaPatch = await patchModel.encodeImages(images, { stride: STRIDE });
    expect(batch.map((c) => c.name)).toEqual(['b0.png', 'b1.png', 'b2.png']);
    for (const [m, image] of images.entries()) {
      const [alone] = await imageModel.encodeImages([image]);
      for (const name of imageModel.outputs) {
        expect(batch[m]!.outputs[name]!.data).toEqual(alone!.outputs[name]!.data);
        expect(viaPatch[m]!.outputs[name]!.shape).toEqual(alone!.outputs[name]!.shape);
        const scale = Math.max(1, ...Array.from(alone!.outputs[name]!.data, Math.abs));
        expect(maxAbsDiff(viaPatch[m]!.outputs[name]!.data, alone!.outputs[name]!.data) / scale, name).toBeLessThan(
          1e-5,
        );
      }
    }
  });

  it('makes a constant image zeros in the graph (no NaN), and the library refuses it by name', async () => {
    const flat: ImagePixels = { width: 9, height: 8, channels: 1, data: new Uint8Array(72).fill(77), name: 'flat.png' };
    await expect(imageModel.encodeImages([flat])).rejects.toThrow(
      /flat\.png is constant \(zero variance after whitening\)/,
    );
    await expect(patchModel.encodeImages([flat])).rejects.toThrow(/flat\.png is constant/);
    // what a Triton client gets: the raw graph, no check in front
    const { openGraphSession } = await import('../../inference/graph-session.ts');
    const session = await openGraphSession(new Uint8Array(readFileSync(imagePath)), { intraOpThreads: 1 });
    const noisy = randomImage(9, 8, 1, 5);
    const data = new Uint8Array(144);
    data.set(flat.data);
    data.set(noisy.data, 72);
    const out = await session.runInputs({ image: { data, shape: [2, 8, 9, 1] } }, ['whitened', 'mean', 'elbo']);
    await session.release();
    for (const t of Object.values(out)) expect(t.data.every(Number.isFinite)).toBe(true);
    expect(out.whitened!.data.subarray(0, 72).every((v) => v === 0)).toBe(true);
    const [alone] = await imageModel.encodeImages([noisy], { outputs: ['whitened'] });
    expect(out.whitened!.data.subarray(72)).toEqual(alone!.outputs.whitened!.data);
  });

  it('refuses, naming the image, other channel counts, a short buffer, an image smaller than P and another stride', async () => {
    const rgba = randomImage(8, 8, 4, 1, 'rgba.png');
    await expect(imageModel.encodeImages([rgba])).rejects.toThrow(
      /rgba\.png: 4 channels; an image has 1 \(gray\) or 3 \(RGB\)/,
    );
    const short = { ...randomImage(8, 8, 3, 1, 'short.png'), width: 9 };
    await expect(imageModel.encodeImages([short])).rejects.toThrow(/short\.png: 192 bytes, but 9×8×3/);
    const tiny = randomImage(3, 9, 1, 1, 'tiny.png');
    await expect(imageModel.encodeImages([tiny])).rejects.toThrow(
      /tiny\.png: 3×9 \(as decoded\) is smaller than its 4×4 patch/,
    );
    await expect(imageModel.encodeImages([randomImage(8, 8, 1, 1)], { stride: 1 })).rejects.toThrow(
      /stride 3 \(fixed at export\)/,
    );
    await expect(imageModel.encode(new Float32Array(16), 1)).rejects.toThrow(/is an image model/);
  });

  it('fails in onnxruntime (no silent garbage) for 2 or 4 channels and for images smaller than P', async () => {
    const { openGraphSession } = await import('../../inference/graph-session.ts');
    const session = await openGraphSession(new Uint8Array(readFileSync(imagePath)), { intraOpThreads: 1 });
    for (const [h, w, c] of [
      [8, 8, 2],
      [8, 8, 5],
      [8, 8, 4],
      [3, 8, 1],
      [8, 2, 3],
    ] as const)
      await expect(
        session.runInputs({ image: { data: new Uint8Array(h * w * c).map((_, i) => i), shape: [1, h, w, c] } }, [
          'mean',
        ]),
        `${h}×${w}×${c}`,
      ).rejects.toThrow();
    await session.release();
  });
});

describe('encode --data images: with a patch model and an image model', () => {
  const images = join(dir, 'images');
  beforeAll(() => {
    mkdirSync(images);
    const rng = new Random(3);
    const rgb = Array.from({ length: 27 * 19 * 3 }, () => Math.floor(256 * rng.uniform()));
    writeFileSync(join(images, 'a.png'), encodePng(27, 19, 2, 8, rgb));
    writeFileSync(join(images, 'b.png'), encodePng(14, 22, 0, 8, rgb.slice(0, 14 * 22)));
  });

  it('writes the same per-window numbers', async () => {
    const runs = [
      ['patch.onnx', 'enc-patch', ['--stride', String(STRIDE)]],
      ['img.onnx', 'enc-image', []],
    ] as const;
    for (const [model, out, extra] of runs) {
      await encodeFolder(model, images, out, extra);
    }
    for (const image of ['a', 'b'])
      for (const name of imageModel.outputs) {
        const a = await readNpy(join(dir, 'enc-patch', image, `${name}.npy`));
        const b = await readNpy(join(dir, 'enc-image', image, `${name}.npy`));
        expect(a.shape, name).toEqual(b.shape);
        expect(maxAbsDiff(a.data, b.data), `${image} ${name}`).toBeLessThan(1e-3);
      }
    const layout = JSON.parse(readFileSync(join(dir, 'enc-image', 'images.json'), 'utf8')) as {
      images: Array<{ width: number; height: number; tops: number[]; lefts: number[] }>;
    };
    expect(layout.images.map((i) => [i.width, i.height])).toEqual([
      [27, 19],
      [14, 22],
    ]);
    expect(layout.images[0]!.tops).toEqual(origins(19));
  });

  it('whitens as training’s data path does (loadImageSet, what train and patches cut from)', async () => {
    const training = await loadImageSet(images);
    for (const [m, file] of ['a.png', 'b.png'].entries()) {
      const [codes] = await imageModel.encodeImages([readImagePixels(join(images, file))], { outputs: ['whitened'] });
      const expected = training[m]!;
      expect([codes!.width, codes!.height]).toEqual([expected.width, expected.height]);
      expect(maxAbsDiff(codes!.outputs.whitened!.data, expected.pixels)).toBeLessThan(1e-5);
    }
  });

  async function refused(files: Record<string, Buffer | string>, pattern: RegExp) {
    const folder = join(dir, `bad-${Object.keys(files)[0]}`);
    mkdirSync(folder);
    writeFileSync(join(folder, 'good.png'), readFileSync(join(images, 'a.png')));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), bytes);
    for (const model of ['patch.onnx', 'img.onnx']) {
      const out = join(folder, `out-${model}`);
      const r = await runCli(['encode', '--model', join(dir, model), '--data', `images:${folder}`, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(out), 'no partial output').toBe(false);
    }
  }

  it('bad images: one line, exit 1, nothing written', async () => {
    await refused({ 'z-flat.png': encodePng(8, 8, 0, 8, new Array(64).fill(9)) }, /z-flat\.png is constant/);
    await refused(
      {
        'z-small.png': encodePng(
          3,
          8,
          0,
          8,
          new Array(24).fill(0).map((_, i) => i),
        ),
      },
      /z-small\.png: 3×8 \(as decoded\) is smaller/,
    );
    await refused(
      {
        'z-deep.png': encodePng(
          8,
          8,
          0,
          16,
          new Array(64).fill(0).map((_, i) => i * 1000),
        ),
      },
      /z-deep\.png is a 16-bit PNG; the image model takes 8-bit images/,
    );
    await refused({ 'z-empty.png': '' }, /z-empty\.png is neither a PNG nor a JPEG file/);
    const whole = readFileSync(join(images, 'a.png'));
    await refused({ 'z-cut.png': whole.subarray(0, whole.length >> 1) }, /cannot decode PNG file .*z-cut\.png/);
  });
});

describe('export --image on a run trained on images, then encode (the issue’s “done when”)', () => {
  const images = join(dir, 'train-images');
  const run = join(dir, 'run');
  beforeAll(() => {
    mkdirSync(images);
    const rng = new Random(11);
    for (const [name, w, h] of [
      ['p.png', 41, 30],
      ['q.png', 25, 33],
    ] as const)
      writeFileSync(
        join(images, name),
        encodePng(
          w,
          h,
          2,
          8,
          Array.from({ length: w * h * 3 }, () => Math.floor(256 * rng.uniform())),
        ),
      );
    const train = runBinary([
      'train',
      '--data',
      `images:${images}`,
      '--latents',
      '4',
      '--patch',
      '4',
      '--samples',
      '256',
      '--epochs',
      '1',
      '--hidden',
      '16',
      '--inner',
      '16',
      '--workers',
      '1',
      '--out',
      run,
    ]);
    expect(train.code, train.stderr).toBe(0);
  }, 120_000);

  it('writes the image model (and both Triton folders), whose per-window numbers are the patch model’s', async () => {
    const repo = join(dir, 'repo');
    const image = runBinary([
      'export',
      '--run',
      run,
      '--out',
      join(dir, 'run-img.onnx'),
      '--image',
      '--stride',
      '2',
      '--triton',
      repo,
    ]);
    expect(image.code, image.stderr).toBe(0);
    const patch = runBinary(['export', '--run', run, '--out', join(dir, 'run-patch.onnx')]);
    expect(patch.code, patch.stderr).toBe(0);
    const card = JSON.parse(readFileSync(join(dir, 'run-img.card.json'), 'utf8')) as { name: string; image: unknown };
    expect(card.image).toEqual({ patch: 4, stride: 2 });
    expect(existsSync(join(repo, card.name, '1', 'model.onnx'))).toBe(true);
    expect(existsSync(join(repo, card.name.replace(/-image$/, ''), '1', 'model.onnx'))).toBe(true);
    for (const [model, out, extra] of [
      ['run-img.onnx', 'run-enc-img', []],
      ['run-patch.onnx', 'run-enc-patch', ['--stride', '2']],
    ] as const) {
      await encodeFolder(model, images, out, extra);
    }
    for (const name of ['p', 'q'])
      for (const output of ['mean', 'variance', 'elbo', 'whitened', 'reconstruction']) {
        const a = await readNpy(join(dir, 'run-enc-img', name, `${output}.npy`));
        const b = await readNpy(join(dir, 'run-enc-patch', name, `${output}.npy`));
        expect(a.shape).toEqual(b.shape);
        const scale = Math.max(1, ...Array.from(b.data, Math.abs));
        expect(maxAbsDiff(a.data, b.data) / scale, `${name} ${output}`).toBeLessThan(1e-5);
      }
  });
});
