/**
 * Encode throughput (issue 10): a bare onnxruntime-node session of the same encoder graph (in-memory
 * batches, no I/O) is the baseline; `entropy-sc encode` (the real CLI, .npy in and out) is timed on
 * two file sizes and differenced, so process start-up and model loading cancel. Also: all outputs
 * against `mean,variance`, start-up (load + first batch), and the peak RSS of a 1 048 576-row file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { naturalImagePatches } from '@entropy-sc/core/data/patches';
import { createNpyWriter } from '@entropy-sc/core/npy/write';
import { readModelFile } from '@entropy-sc/inference/card';
import { loadModel } from '@entropy-sc/inference/model';
import { pruneToOutputs } from '@entropy-sc/inference/prune-graph';

export interface EncodeBench {
  threads: number;
  batch: number;
  rows: { small: number; large: number; huge: number };
  /** rows/s of the bare session, mean and variance only */
  bareMeanVariance: number;
  /** rows/s of the bare session on the full graph, fetching mean and variance only */
  bareFullGraph: number;
  /** rows/s of `encode --outputs mean,variance`, start-up differenced away */
  cliMeanVariance: number;
  /** rows/s of `encode` with every output */
  cliAll: number;
  /** seconds: loadModel + the first batch of 1024 rows, in-process */
  startup: number;
  /** seconds: the CLI's fixed cost (node, tsx, imports, model) from the differencing */
  cliFixed: number;
  /** MiB: peak RSS of `encode --outputs mean,variance` on the huge file */
  hugePeakRssMiB: number;
  hugeSeconds: number;
}

const BIN = new URL('../bin/entropy-sc.js', import.meta.url).pathname;
/** prints the process's peak RSS (KiB) on stderr at exit */
const RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss_kib '+process.resourceUsage().maxRSS+'\\n'))`;

export async function measureEncode(
  modelPath: string,
  { large = 204_800, small = 20_480, huge = 1_048_576, batch = 1024 } = {},
): Promise<EncodeBench> {
  const dir = mkdtempSync(join(tmpdir(), 'entropy-sc-bench-encode-'));
  try {
    const threads = availableParallelism();
    const patches = await naturalImagePatches({ patch: 16, samples: 65_536, seed: 7 });
    const files = { small: join(dir, 'small.npy'), large: join(dir, 'large.npy'), huge: join(dir, 'huge.npy') };
    for (const [name, rows] of [
      ['small', small],
      ['large', large],
      ['huge', huge],
    ] as const)
      await writeTiled(files[name], patches.x, patches.d, rows);

    const file = await readModelFile(modelPath);
    const bareMeanVariance = await bareSession(
      pruneToOutputs(file.model, ['mean', 'variance']),
      patches.x,
      patches.d,
      large,
      batch,
      threads,
    );
    const bareFullGraph = await bareSession(file.bytes, patches.x, patches.d, large, batch, threads);

    const loadStarted = performance.now();
    const model = await loadModel(modelPath, { intraOpThreads: threads });
    await model.encode(patches.x.subarray(0, batch * patches.d), batch);
    const startup = (performance.now() - loadStarted) / 1000;
    await model.close();

    const cli = (data: string, outputs: string[]) => runEncode(modelPath, data, join(dir, 'out'), outputs, batch);
    const mv = ['--outputs', 'mean,variance'];
    const [mvSmall, mvLarge] = [cli(files.small, mv), cli(files.large, mv)];
    const [allSmall, allLarge] = [cli(files.small, []), cli(files.large, [])];
    const cliMeanVariance = (large - small) / (mvLarge.seconds - mvSmall.seconds);
    const cliAll = (large - small) / (allLarge.seconds - allSmall.seconds);
    const hugeRun = cli(files.huge, mv);
    return {
      threads,
      batch,
      rows: { small, large, huge },
      bareMeanVariance,
      bareFullGraph,
      cliMeanVariance,
      cliAll,
      startup,
      cliFixed: mvSmall.seconds - small / cliMeanVariance,
      hugePeakRssMiB: hugeRun.peakRssKiB / 1024,
      hugeSeconds: hugeRun.seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function encodeTable(b: EncodeBench): string[] {
  const row = (name: string, rate: number) =>
    `| ${name} | ${Math.round(rate)} | ${(rate / b.bareMeanVariance).toFixed(2)} |`;
  return [
    `| encode (default model D=256, H=100, low-rank; batch ${b.batch}, cpu provider, ${b.threads} threads) | rows/s | × bare session |`,
    '| --- | ---: | ---: |',
    row('bare onnxruntime session, graph of mean and variance only (baseline)', b.bareMeanVariance),
    row('bare session, full graph, fetching mean and variance', b.bareFullGraph),
    row(
      `\`entropy-sc encode --outputs mean,variance\`, .npy in and out (${b.rows.large} − ${b.rows.small} rows)`,
      b.cliMeanVariance,
    ),
    row('`entropy-sc encode`, every output', b.cliAll),
    '',
    `Every output costs ${((100 * b.cliMeanVariance) / b.cliAll - 100).toFixed(0)}% more time per row than \`mean,variance\`. Start-up: load the model and encode the first batch in-process ${b.startup.toFixed(2)} s; the CLI's fixed cost (node, tsx, imports, model) ${b.cliFixed.toFixed(1)} s. ` +
      `A ${b.rows.huge}-row file (${((b.rows.huge * 256 * 4) / 2 ** 30).toFixed(0)} GiB) encodes with \`--outputs mean,variance\` in ${b.hugeSeconds.toFixed(0)} s at a peak RSS of ${b.hugePeakRssMiB.toFixed(0)} MiB (streamed: memory is bounded by the batch).`,
  ];
}

/** rows [rows, d] made by repeating `x`, streamed to a .npy file */
async function writeTiled(path: string, x: Float32Array, d: number, rows: number): Promise<void> {
  const writer = await createNpyWriter(path, { shape: [rows, d] });
  const have = x.length / d;
  for (let done = 0; done < rows;) {
    const count = Math.min(have, rows - done);
    await writer.write(x.subarray(0, count * d));
    done += count;
  }
  await writer.close();
}

async function bareSession(
  model: Uint8Array,
  x: Float32Array,
  d: number,
  rows: number,
  batch: number,
  threads: number,
): Promise<number> {
  const session = await InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const have = x.length / d;
  const feed = (k: number) => ({
    x: new Tensor(
      'float32',
      x.subarray(((k * batch) % (have - batch)) * d, (((k * batch) % (have - batch)) + batch) * d),
      [batch, d],
    ),
  });
  await session.run(feed(0), ['mean', 'variance']);
  const started = performance.now();
  const runs = Math.ceil(rows / batch);
  for (let k = 0; k < runs; k++) await session.run(feed(k), ['mean', 'variance']);
  const seconds = (performance.now() - started) / 1000;
  await session.release();
  return (runs * batch) / seconds;
}

function runEncode(
  model: string,
  data: string,
  out: string,
  outputs: string[],
  batch: number,
): { seconds: number; peakRssKiB: number } {
  rmSync(out, { recursive: true, force: true });
  const started = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      RSS_HOOK,
      BIN,
      'encode',
      '--model',
      model,
      '--data',
      data,
      '--out',
      out,
      '--batch',
      String(batch),
      ...outputs,
    ],
    { encoding: 'utf8' },
  );
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`encode failed: ${r.stderr}`);
  const rss = /maxrss_kib (\d+)/.exec(r.stderr);
  return { seconds, peakRssKiB: rss ? Number(rss[1]) : NaN };
}
