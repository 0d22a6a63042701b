/**
 * The exported ONNX graph against the TensorFlow.js encoder it came from (every output to 1e-5
 * relative to the output's scale, diag and low-rank, random and real rows), its ℓ_n against the
 * float64 reference of math.md, the card round trip through metadata_props, and output subsets.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { generateBars } from '../../../src/data/bars.ts';
import { naturalImagePatches } from '../../../src/data/patches.ts';
import { Random } from '../../../src/random.ts';
import { INITIALIZER_NAMES, ONNX_IR_VERSION, ONNX_OPSET } from '../../../src/schema/onnx-contract.ts';
import { loadModel, type EncoderModel, type Tensor } from '../../../inference/model.ts';
import { defaultEncoderConfig, type EncoderConfig } from '../../../graph/encoder-spec.ts';
import { Encoder } from '../../../training/model/encoder.ts';
import { encoderWeights } from '../../../training/model/encoder-weights.ts';
import { encoderModelBytes } from '../../../graph/model-bytes.ts';
import { normalizeColumns } from '../../../training/objective/point-statistics.ts';
import { testCard } from '../../helpers/model-card.ts';
import * as ref from '../../helpers/reference-elbo.ts';

const dir = mkdtempSync(join(tmpdir(), 'entropy-sc-export-'));
const models: EncoderModel[] = [];
afterAll(async () => {
  for (const m of models) await m.close();
});

interface Fixture {
  encoder: Encoder;
  model: EncoderModel;
  dictionary: Float32Array;
  lambda: Float32Array;
  sigma2: number;
  bytes: Uint8Array;
}

async function exported(config: EncoderConfig, seed: number, fullCovariance: boolean): Promise<Fixture> {
  const rng = new Random(seed);
  const encoder = new Encoder(config, seed);
  const { d, h } = config;
  const dictionary = tf.tidy(
    () =>
      normalizeColumns(
        tf.tensor2d(
          Float32Array.from({ length: d * h }, () => rng.normal()),
          [d, h],
        ),
      ).dataSync() as Float32Array,
  );
  const lambda = Float32Array.from({ length: h }, () => 0.2 + rng.uniform());
  const sigma2 = 0.05 + rng.uniform();
  const card = testCard(config.family, d, h, config.rank, sigma2);
  const { bytes } = encoderModelBytes(
    encoderWeights(encoder),
    { dictionary, priorScales: lambda, noiseVariance: sigma2 },
    card,
    { fullCovariance },
  );
  const path = join(dir, `${config.family}-${seed}.onnx`);
  writeFileSync(path, bytes);
  const model = await loadModel(path);
  models.push(model);
  return { encoder, model, dictionary, lambda, sigma2, bytes };
}

/** max |a − b| / max |b| */
function relativeToScale(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

const rows = (t: Tensor, n: number): number[][] =>
  Array.from({ length: n }, (_, i) =>
    Array.from(t.data.subarray((i * t.data.length) / n, ((i + 1) * t.data.length) / n)),
  );

function matrix(data: Float32Array, rowsCount: number, cols: number): number[][] {
  return Array.from({ length: rowsCount }, (_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols)));
}

async function checkAgainstTfjs(f: Fixture, x: Float32Array, n: number): Promise<void> {
  const { d, h, rank, family } = f.encoder.config;
  const out = await f.model.encode(x, n);
  const expected = tf.tidy(() => {
    const q = f.encoder.forward(tf.tensor2d(x, [n, d]));
    const std = q.family === 'diag' ? q.std : q.family === 'lowrank' ? q.diagStd : null;
    const result: Record<string, Float32Array> = { mean: q.mean.dataSync() as Float32Array };
    if (q.family === 'diag') result['variance'] = tf.square(std!).dataSync() as Float32Array;
    if (q.family === 'lowrank') {
      result['cov_factor'] = q.factor.dataSync() as Float32Array;
      result['cov_diag'] = tf.square(q.diagStd).dataSync() as Float32Array;
      result['variance'] = tf.add(tf.sum(tf.square(q.factor), 2), tf.square(q.diagStd)).dataSync() as Float32Array;
    }
    return result;
  });
  for (const [name, values] of Object.entries(expected))
    expect(relativeToScale(out[name as 'mean']!.data, values), name).toBeLessThan(1e-5);

  // W̃ν and ℓ_n in float64 from the ONNX posterior (math.md's formula, dense H×H covariances)
  const mean = rows(out.mean!, n);
  const w = matrix(f.dictionary, d, h);
  const reconstruction = mean.map((nu) => w.map((row) => row.reduce((s, wk, k) => s + wk * nu[k]!, 0)));
  expect(relativeToScale(out.reconstruction!.data, reconstruction.flat())).toBeLessThan(1e-5);
  const q: ref.RefPosterior =
    family === 'diag'
      ? { family, mean, std: rows(out.variance!, n).map((r) => r.map(Math.sqrt)) }
      : {
          family,
          mean,
          diagStd: rows(out.cov_diag!, n).map((r) => r.map(Math.sqrt)),
          factor: rows(out.cov_factor!, n).map((r) =>
            Array.from({ length: h }, (_, i) => r.slice(i * rank, (i + 1) * rank)),
          ),
        };
  const elbo = ref.pointElbo(matrix(Float32Array.from(x), n, d), w, q, Array.from(f.lambda), f.sigma2);
  expect(relativeToScale(out.elbo!.data, elbo)).toBeLessThan(1e-4);
  if (out.covariance) {
    const dense = Array.from({ length: n }, (_, i) => ref.covariance(q, i)).flat(2);
    expect(relativeToScale(out.covariance.data, dense)).toBeLessThan(1e-5);
  }
}

describe('ONNX export', () => {
  for (const family of ['diag', 'lowrank'] as const) {
    it(`${family}: every output equals the tfjs encoder and ℓ_n equals float64 math.md, on random and bars rows`, async () => {
      const bars = generateBars({ size: 5, samples: 40, noise: 0.1, seed: 3 });
      const f = await exported({ ...defaultEncoderConfig(25, 10, family, 3), hidden: 40, inner: 60 }, 11, true);
      expect(f.model.outputs).toEqual([
        'mean',
        'variance',
        'elbo',
        'reconstruction',
        ...(family === 'lowrank' ? ['cov_factor', 'cov_diag'] : []),
        'covariance',
      ]);
      const rng = new Random(5);
      await checkAgainstTfjs(
        f,
        Float32Array.from({ length: 33 * 25 }, () => 2 * rng.normal()),
        33,
      );
      await checkAgainstTfjs(f, Float32Array.from(bars.x), bars.n);
    });
  }

  it('low-rank, D = 256: equal on whitened natural-image patches', async () => {
    const { x, n } = await naturalImagePatches({ patch: 16, samples: 48, seed: 4 });
    const f = await exported({ ...defaultEncoderConfig(256, 24, 'lowrank', 5), hidden: 64, inner: 96 }, 12, false);
    expect(f.model.outputs).not.toContain('covariance');
    await checkAgainstTfjs(f, x, n);
  });

  it('writes IR 8 / opset 17, a symbolic batch, the named initializers and the card in metadata_props', async () => {
    const f = await exported({ ...defaultEncoderConfig(9, 4, 'lowrank', 2) }, 13, false);
    const model = onnxProto.onnx.ModelProto.decode(f.bytes);
    expect(Number(model.irVersion)).toBe(ONNX_IR_VERSION);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', ONNX_OPSET]]);
    const graph = model.graph!;
    for (const v of [...graph.input!, ...graph.output!])
      expect(v.type!.tensorType!.shape!.dim![0]!.dimParam).toBe('batch');
    const dims = (name: string) => graph.initializer!.find((t) => t.name === name)!.dims!.map(Number);
    expect(dims(INITIALIZER_NAMES.dictionary)).toEqual([9, 4]);
    expect(dims(INITIALIZER_NAMES.priorScales)).toEqual([4]);
    expect(dims(INITIALIZER_NAMES.noiseVariance)).toEqual([]);
    const keys = model.metadataProps.map((p) => p.key);
    expect(keys).toEqual(expect.arrayContaining(['model_author', 'model_license', 'entropy_sc.model_card']));
    expect(f.model.card).toEqual(testCard('lowrank', 9, 4, 2, f.sigma2));
    expect([f.model.d, f.model.h]).toEqual([9, 4]);
  });

  it('an output subset runs a pruned graph and gives the same values; one row and zero rows work', async () => {
    const f = await exported({ ...defaultEncoderConfig(16, 6, 'lowrank', 2) }, 14, false);
    const rng = new Random(6);
    const x = Float32Array.from({ length: 50 * 16 }, () => rng.normal());
    const all = await f.model.encode(x, 50);
    const some = await f.model.encode(x, 50, ['variance', 'mean']);
    expect(Object.keys(some).sort()).toEqual(['mean', 'variance']);
    expect(some.mean!.data).toEqual(all.mean!.data);
    expect(some.variance!.data).toEqual(all.variance!.data);
    const one = await f.model.encode(x.subarray(16 * 7, 16 * 8), 1, ['elbo']);
    expect(one.elbo!.data[0]).toBeCloseTo(all.elbo!.data[7]!, 4);
    const none = await f.model.encode(new Float32Array(0), 0, ['mean']);
    expect(none.mean!.shape).toEqual([0, 6]);
  });
});
