/**
 * `npm run bench`: training throughput on this machine, printed as a table and written to
 * bench/results.md. Figures are ratios against baselines measured in the same run.
 */
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../training/backend/backend.ts';
import { defaultModelPath } from '@entropy-sc/inference/default-model';
import { measureBarsRun } from './bars-run.ts';
import { encodeTable, measureEncode } from './encode-throughput.ts';
import { measureEpochRun } from './epoch-run.ts';
import { imageTable, measureImageEncode } from './image-throughput.ts';
import { measureImageService, serviceImageTable } from './service-image-throughput.ts';
import { measureNativeStep } from './native-throughput.ts';
import { measurePinned, pinnedTable } from './service-pinned.ts';
import { measureService, serviceTable } from './service-throughput.ts';
import { measureTorch } from './torch-baseline.ts';
import { matMulRate, measureTrainingStep, stepFlops } from './training-throughput.ts';

const backend = process.argv.includes('--backend') ? process.argv[process.argv.indexOf('--backend') + 1]! : 'wasm';
await useBackend(backend);
const rate = matMulRate();
process.stderr.write(`plain 512×512 matMul: ${rate.toFixed(1)} GFLOP/s on ${backend}\n`);
const naive = measureTrainingStep('diag', true, 3);
process.stderr.write(`naive step: ${naive.msPerStep.toFixed(0)} ms\n`);
const rows = [
  { ...naive, threads: 1 },
  { ...measureTrainingStep('diag', false, 15), threads: 1 },
  { ...measureTrainingStep('lowrank', false, 15), threads: 1 },
  { ...(await measureNativeStep('diag', 2, 40)), threads: 2 },
  { ...(await measureNativeStep('lowrank', 2, 40)), threads: 2 },
];

const bars = await measureBarsRun(1);
const service = await measureService(defaultModelPath);
const pinned = await measurePinned(defaultModelPath);
const encode = await measureEncode(defaultModelPath);
const images = await measureImageEncode(defaultModelPath);
const serviceImages = await measureImageService(defaultModelPath, 20);
const epoch = await measureEpochRun({}, 3);
const step = rows.find((r) => r.threads === epoch.threads && r.name.startsWith('diag') && !r.name.includes('naive'));
const torch = measureTorch(epoch.threads, 15, epoch.n);
const torchRows =
  'missing' in torch
    ? {
        step: [],
        epoch: [],
        note: `No PyTorch rows: ${torch.missing}; Debian's python3-torch with libopenblas0-pthread gives them.`,
      }
    : {
        step: [
          `| diag, PyTorch ${torch.version} (seed authors' kind of step, same run) | ${torch.threads} | ${torch.stepSamplesPerSecond.toFixed(0)} | ${((512 * 1000) / torch.stepSamplesPerSecond).toFixed(1)} | ${(naive.msPerStep / ((512 * 1000) / torch.stepSamplesPerSecond)).toFixed(1)} | – | – | – |`,
        ],
        epoch: [
          `| PyTorch ${torch.version}, training only (the seed authors' epoch: no whole-data evaluation) | ${torch.threads} | ${torch.epochSeconds.toFixed(1)} | – | ${torch.epochSeconds.toFixed(1)} | ${(torch.epochRows / torch.epochSeconds).toFixed(0)} | ${(torch.epochRows / torch.epochSeconds / torch.stepSamplesPerSecond).toFixed(2)} | – |`,
        ],
        note: `entropy-sc's default epoch, evaluation included, against PyTorch's training-only epoch in the same run: ${(torch.epochSeconds / epoch.epochSeconds).toFixed(2)}× (above 1: faster); steps: ${(step ? step.samplesPerSecond / torch.stepSamplesPerSecond : NaN).toFixed(2)}×. PyTorch is Debian's python3-torch on OpenBLAS, ${torch.threads} threads.`,
      };

const header =
  '| step (D=256, H=100, batch 512) | threads | samples/s | ms/step | × naive | % of matMul bound | peak RSS MiB | peak tensors MiB |';
const lines = [
  `# entropy-sc training benchmark`,
  '',
  `${new Date().toISOString()} · ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores) · Node ${process.version} · tfjs ${tf.version_core} · backend ${backend} · plain matMul ${rate.toFixed(1)} GFLOP/s`,
  '',
  header,
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => {
    const bound = (stepFlops(r.name.startsWith('lowrank') ? 'lowrank' : 'diag') / (r.threads * rate * 1e9)) * 1000;
    const share = r.name.includes('onnxruntime') ? '–' : `${((100 * bound) / r.msPerStep).toFixed(0)}%`;
    return `| ${r.name} | ${r.threads} | ${r.samplesPerSecond.toFixed(0)} | ${r.msPerStep.toFixed(1)} | ${(naive.msPerStep / r.msPerStep).toFixed(1)} | ${share} | ${r.peakRssMiB.toFixed(0)} | ${r.peakTensorMiB.toFixed(0)} |`;
  }),
  ...torchRows.step,
  '',
  `| default run: ${epoch.name}, ${epoch.epochs} epochs | threads | training s/epoch | evaluation s/epoch | epoch wall s | training samples/s | × step (same run) | evaluation share of epoch |`,
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  `| train --data images:data/natural-images --latents 100 | ${epoch.threads} | ${epoch.trainingSeconds.toFixed(1)} | ${epoch.evaluationSeconds.toFixed(1)} | ${epoch.epochSeconds.toFixed(1)} | ${epoch.samplesPerSecond.toFixed(0)} | ${step ? (epoch.samplesPerSecond / step.samplesPerSecond).toFixed(2) : '–'} | ${((100 * epoch.evaluationSeconds) / epoch.epochSeconds).toFixed(0)}% |`,
  ...torchRows.epoch,
  '',
  `Epoch wall time: training, whole-data evaluation (ELBO and Gini, under onnxruntime on every core), run files and checkpoint, averaged over the epochs; ELBO after the last epoch ${epoch.elbo.toFixed(4)}.`,
  torchRows.note,
  '',
  `Bars (train --data bars --latents 10 --posterior full --no-amortized, defaults, seed 1): ${bars.seconds.toFixed(1)} s wall time, ${bars.recovered}/10 bars recovered, ELBO ${bars.elbo.toFixed(4)}.`,
  '',
  ...serviceTable(service),
  '',
  ...pinnedTable(pinned),
  '',
  ...encodeTable(encode),
  '',
  ...imageTable(images),
  '',
  "Whitening's share: the whitening alone (the image model's graph pruned to `whitened`; core's TypeScript whitening) over the row's time per image.",
  '',
  ...serviceImageTable(serviceImages),
  '',
  "% of matMul bound: the time the step's matrix products alone would take at the plain matMul rate above (on every thread used), over the measured step time.",
  '',
];
process.stdout.write(lines.join('\n'));
await writeFileAtomic(new URL('./results.md', import.meta.url).pathname, lines.join('\n'));
