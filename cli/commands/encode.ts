/** `entropy-sc encode`: a model's outputs for rows of a .npy file or patches of images (cli.md). */
import { Command, Option } from 'commander';
import { PROVIDER_CHOICES } from '@entropy-sc/inference/providers';
import { positiveInt } from '../parse.ts';

interface EncodeFlags {
  model?: string;
  data: string;
  out: string;
  provider: string;
  batch: number;
  outputs?: string;
  stride?: number;
  threads?: number;
}

export function registerEncode(program: Command): void {
  program
    .command('encode')
    .description(
      "write an ONNX encoder's outputs (mean.npy, variance.npy, elbo.npy, …) for rows of a .npy file or the patches of images",
    )
    .option('--model <MODEL.onnx>', 'exported encoder (default: the shipped models/default.onnx)')
    .requiredOption(
      '--data <spec>',
      'X.npy (rows [N, D]) or images:DIR (PNG/JPEG folder, one image or IMAGES.mat; a bare images: is the shipped set)',
    )
    .requiredOption('--out <dir>', 'folder for the outputs (created if missing)')
    .addOption(
      new Option('--provider <name>', 'onnxruntime execution provider').choices(PROVIDER_CHOICES).default('cpu'),
    )
    .option('--batch <B>', 'rows per onnxruntime run', positiveInt, 1024)
    .option('--outputs <list>', 'comma-separated outputs to compute (default: all the model offers)')
    .option('--stride <pixels>', 'images: pixels between neighbouring patches (default P/2)', positiveInt)
    .option('--threads <n>', 'onnxruntime intra-op threads (default: the cores)', positiveInt)
    .action(async (flags: EncodeFlags) => {
      const { loadEncoder } = await import('@entropy-sc/inference/model');
      const { defaultModelPath } = await import('@entropy-sc/inference/default-model');
      const { parseOutputList } = await import('@entropy-sc/inference/encode-npy');
      const model = await loadEncoder(flags.model ?? defaultModelPath, {
        provider: flags.provider,
        intraOpThreads: flags.threads,
      });
      try {
        const outputs = model.selectOutputs(
          flags.outputs === undefined ? model.outputs : parseOutputList(flags.outputs),
        );
        if (flags.data.startsWith('images:')) {
          const { encodeImages } = await import('@entropy-sc/inference/encode-images');
          const { defaultImagesDir } = await import('@entropy-sc/core/data/default-images');
          await encodeImages(model, flags.data.slice('images:'.length) || defaultImagesDir, flags.out, {
            outputs,
            stride: flags.stride,
          });
        } else {
          const { encodeNpyFile } = await import('@entropy-sc/inference/encode-npy');
          await encodeNpyFile(model, flags.data, flags.out, { batch: flags.batch, outputs });
        }
      } finally {
        await model.close();
      }
    });
}
