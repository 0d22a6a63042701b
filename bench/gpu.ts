/**
 * `npm run bench:gpu`: training samples/s on webgpu (batch 512 and 4096, both amortized families,
 * D = 256, H = 100, the default encoder) next to the same steps on wasm, and encoding samples/s of
 * the exported ONNX encoder at batch 4096 with onnxruntime's webgpu provider next to its cpu
 * provider, all in one run; written to bench/gpu-results.md. Each figure is timed after a warm-up
 * (the first call of every kernel compiles its shader) for about `--seconds` (default 3).
 * Without a GPU, webgpu runs on the software adapter: those figures say the path works, not how fast
 * a GPU is.
 */
import { loadavg, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { writeNpy } from '@entropy-sc/core/npy/write';
import { Random } from '@entropy-sc/core/random';
import { defaultWorkers, resolveRunConfig } from '@entropy-sc/core/schema/run-config';
import { loadEncoder } from '../inference/model.ts';
import { resolveBackend, useBackend } from '../training/backend/backend.ts';
import { defaultEncoderConfig, type AmortizedFamily } from '../graph/encoder-spec.ts';
import { exportRun } from '../training/export/export-run.ts';
import { adapterLine } from '../training/backend/find-adapter.ts';
import { learnerFor } from '../training/learners/registry.ts';
import { installedAdapter } from '../training/backend/install-adapter.ts';
import type { Learner } from '../training/learners/learner.ts';
import { train } from '../training/commands/train.ts';

const D = 256;
const H = 100;
const arg = (name: string, fallback: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const seconds = arg('--seconds', 3);

interface Row {
  what: string;
  backend: string;
  samplesPerSecond: number | null;
  note?: string;
}

/** Rows of N(0, 0.3²) values, [n, D]. */
function rows(n: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n * D }, () => 0.3 * rng.normal());
}

/** Samples/s of whole training epochs of `steps` minibatches, with the learner `train` uses on `backend`. */
async function trainingRate(backend: string, family: AmortizedFamily, batch: number, steps: number): Promise<number> {
  await useBackend(backend);
  const options = {
    encoder: defaultEncoderConfig(D, H, family, 5),
    batch,
    learningRate: 1e-4,
    dictionaryLearningRate: 1e-3,
    seed: 1,
  };
  const row = learnerFor({ backend: resolveBackend(backend), family, amortized: true, joint: false });
  if (!row?.amortized) throw new Error(`bench: no amortized learner on ${backend}`);
  const learner: Learner = await row.create({ ...options, threads: defaultWorkers(backend, true) });
  const n = steps * batch;
  const x = rows(n, 2);
  const rng = new Random(3);
  const epoch = () => learner.trainEpoch({ x, n, d: D, gamma: 1, delta: 1, rng, onProgress: () => undefined });
  try {
    await epoch(); // compiles every kernel's shader
    let done = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000 || done === 0) {
      const value = await epoch();
      if (!Number.isFinite(value)) throw new Error(`bench: the objective became ${value}`);
      done += n;
    }
    return done / ((performance.now() - started) / 1000);
  } finally {
    learner.dispose();
  }
}

/** An exported encoder of the bench's shapes (D = 256, H = 100, diag), trained briefly on wasm. */
async function exportedEncoder(dir: string): Promise<string> {
  const data = join(dir, 'x.npy');
  await writeNpy(data, { data: rows(4096, 4), shape: [4096, D] });
  const config = resolveRunConfig({ data, latents: H, epochs: 1, backend: 'wasm', workers: 1 });
  await useBackend('wasm');
  await train({ config, out: join(dir, 'run'), resume: false });
  return (await exportRun({ run: join(dir, 'run'), out: join(dir, 'encoder.onnx'), fullCovariance: false })).path;
}

/** Samples/s of encoding batches of 4096 rows with an onnxruntime provider. */
async function encodingRate(model: string, provider: string): Promise<number> {
  const encoder = await loadEncoder(model, { provider });
  try {
    const x = rows(4096, 5);
    await encoder.encode(x, 4096);
    let done = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000 || done === 0) {
      await encoder.encode(x, 4096);
      done += 4096;
    }
    return done / ((performance.now() - started) / 1000);
  } finally {
    await encoder.close();
  }
}

async function measure(row: Omit<Row, 'samplesPerSecond'>, f: () => Promise<number>): Promise<Row> {
  process.stderr.write(`bench:gpu: ${row.what} on ${row.backend} ...\n`);
  try {
    return { ...row, samplesPerSecond: await f() };
  } catch (error) {
    return { ...row, samplesPerSecond: null, note: `failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

const gpu = await useBackend('webgpu').then(
  () => adapterLine(installedAdapter()!.info),
  (error: Error) => `none (${error.message})`,
);
const load = loadavg()[0]!.toFixed(1);
// llvmpipe takes about half a minute per step at batch 512 (and ~5 min at 4096) on 2 cores: on the
// software adapter the bench times single steps and leaves batch 4096 out.
const software = installedAdapter()?.info.kind === 'software';
const results: Row[] = [];
for (const family of ['diag', 'lowrank'] as const)
  for (const batch of [512, 4096])
    for (const backend of ['webgpu', 'wasm']) {
      const what = `training, ${family}, batch ${batch}`;
      if (backend === 'webgpu' && software && batch > 512)
        results.push({ what, backend, samplesPerSecond: null, note: 'left out on the software adapter' });
      else
        results.push(
          await measure({ what, backend }, () =>
            trainingRate(backend, family, batch, backend === 'webgpu' && software ? 1 : 4),
          ),
        );
    }
const dir = await mkdtemp(join(tmpdir(), 'entropy-sc-bench-gpu-'));
try {
  const model = await exportedEncoder(dir);
  for (const provider of ['webgpu', 'cpu'])
    results.push(
      await measure({ what: 'encoding (onnxruntime), diag, batch 4096', backend: provider }, () =>
        encodingRate(model, provider),
      ),
    );
} finally {
  await rm(dir, { recursive: true, force: true });
}

// Each webgpu/onnxruntime-webgpu row over the wasm/cpu row that follows it.
const ratio = (i: number) => {
  const [a, b] = [results[i]!, results[i + 1]!];
  return i % 2 === 0 && a.samplesPerSecond && b.samplesPerSecond
    ? `${(a.samplesPerSecond / b.samplesPerSecond).toFixed(1)}×`
    : '';
};
const lines = [
  '# entropy-sc GPU benchmark',
  '',
  `${new Date().toISOString()} · Node ${process.version} · tfjs ${tf.version_core} · WebGPU adapter: ${gpu} · load average ${load} at the start`,
  '',
  '| measurement (D = 256, H = 100, default encoder) | backend / provider | samples/s | × the row below |',
  '| --- | --- | ---: | ---: |',
  ...results.map(
    (r, i) =>
      `| ${r.what} | ${r.backend} | ${r.samplesPerSecond === null ? r.note : r.samplesPerSecond.toFixed(0)} | ${ratio(i)} |`,
  ),
  '',
  `Training: whole epochs of 4 minibatches (1 on a software adapter) with the learner \`train\` uses (webgpu: rows uploaded in chunks, the objective read asynchronously; wasm: the onnxruntime gradient graph on every core), about ${seconds} s each after a warm-up epoch. Encoding: \`loadEncoder\` + \`encode\` on an exported encoder, batches of 4096 rows.`,
  '',
];
process.stdout.write(lines.join('\n'));
await writeFileAtomic(new URL('./gpu-results.md', import.meta.url).pathname, lines.join('\n'));
