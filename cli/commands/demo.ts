/**
 * `entropy-sc demo` (what `npm start` runs): the main job end to end on built-in data. Training,
 * export and held-out patches come from the training package; the held-out patches are then
 * encoded with onnxruntime (the inference package, as in production) and the run is summarised.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { positiveInt, positiveNumber } from '../parse.ts';

/** Held-out patches whose posteriors are refined for the amortization gap (a few seconds of L-BFGS). */
const GAP_POINTS = 300;

interface DemoFlags {
  out: string;
  model?: string;
  epochs: number;
  samples: number;
  heldOut: number;
  lr: number;
  backend: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'check the objective on bars, fine-tune the shipped encoder on the shipped images, export it to ONNX and encode held-out patches with onnxruntime',
    )
    .option(
      '--out <dir>',
      'run folder (a previous demo run there is replaced; any other non-empty folder is refused)',
      'runs/demo',
    )
    .option('--model <MODEL.onnx>', 'encoder to fine-tune (default: the shipped models/default.onnx)')
    .option('--epochs <E>', 'fine-tuning epochs', positiveInt, 3)
    .option('--samples <N>', 'training patches', positiveInt, 10_000)
    .option('--held-out <N>', 'patches drawn with another seed and encoded with onnxruntime', positiveInt, 10_000)
    .option('--lr <rate>', "Adam's rate for the encoder (the dictionary's is 10×)", positiveNumber, 2e-4)
    .option('--backend <name>', 'TensorFlow.js backend', 'wasm')
    .action(async (flags: DemoFlags) => {
      const started = performance.now();
      const { trainDemo } = await import('@entropy-sc/training/commands/demo');
      const { defaultModelPath } = await import('@entropy-sc/inference/default-model');
      const model = flags.model ?? defaultModelPath;
      const run = await trainDemo({ ...flags, model });
      const { loadEncoder } = await import('@entropy-sc/inference/model');
      const { encodeNpyFile } = await import('@entropy-sc/inference/encode-npy');
      const { readNpy } = await import('@entropy-sc/core/npy/read');
      const encoder = await loadEncoder(run.modelPath);
      let seconds: number;
      try {
        const encodeStarted = performance.now();
        await encodeNpyFile(encoder, run.heldOutPath, run.heldOutFolder, {
          batch: 1024,
          outputs: encoder.outputs,
          progress: false,
        });
        seconds = (performance.now() - encodeStarted) / 1000;
      } finally {
        await encoder.close();
      }
      const elbo = (await readNpy(join(run.heldOutFolder, 'elbo.npy'))).data;
      let heldOutElbo = 0;
      for (const v of elbo) heldOutElbo += v / elbo.length;
      const { runGaps } = await import('@entropy-sc/training/gap/gap-files');
      const [gap] = await runGaps({
        runs: [run.modelPath],
        data: { kind: 'npy', file: run.heldOutPath },
        samples: GAP_POINTS,
      });
      const g = gap!.report;
      const first = run.metrics[0]!;
      const last = run.metrics[run.metrics.length - 1]!;
      const lines = [
        '',
        `entropy-sc demo, ${((performance.now() - started) / 1000).toFixed(0)} s: fine-tuned the shipped ${run.card.family} encoder (${model}) on the shipped images`,
        `  ELBO, training patches:  ${last.elbo.toFixed(2)} nats per patch (${first.elbo.toFixed(2)} after fine-tuning epoch 1 of ${run.metrics.length})`,
        `  ELBO, held-out patches:  ${heldOutElbo.toFixed(2)} (mean ℓ_n over ${run.heldOutRows} patches drawn with seed ${run.heldOutSeed}, Θ frozen, computed by the ONNX graph)`,
        `  Gini of the codes:       ${last.gini_mean.toFixed(3)} ± ${last.gini_sd.toFixed(3)}`,
        `  amortization gap:        ${g.gap.toFixed(2)} nats per patch (median ${g.per_point.median.toFixed(2)}, 95th percentile ${g.per_point.p95.toFixed(2)}) on ${g.n} held-out patches refined by L-BFGS`,
        `  encode (onnxruntime):    ${Math.round(run.heldOutRows / seconds)} patches/s, all outputs, .npy in and out, cpu provider`,
        `  ONNX model written:      ${run.modelPath}`,
        `  look at:                 ${join(flags.out, 'fields.png')}, ${join(flags.out, 'curves.png')}`,
        `  serve it:                npx entropy-sc serve --model ${run.modelPath}`,
        `  encode images with it:   npx entropy-sc encode --model ${run.modelPath} --data images:data/natural-images --out enc/`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
