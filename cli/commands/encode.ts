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
      const { loadModel } = await import('@entropy-sc/inference/model');
      const { defaultModelPath } = await import('@entropy-sc/inference/default-model');
      const { parseOutputList } = await import('@entropy-sc/inference/encode-npy');
      const { UserError } = await import('@entropy-sc/core/errors');
      const model = await loadModel(flags.model ?? defaultModelPath, {
        provider: flags.provider,
        intraOpThreads: flags.threads,
      });
      try {
        const requested = flags.outputs === undefined ? undefined : parseOutputList(flags.outputs);
        if (flags.data.startsWith('images:')) {
          // either kind offers the same image outputs (the patch model's own, and `whitened`)
          const outputs = model.kind === 'image' ? model.selectOutputs(requested) : model.selectImageOutputs(requested);
          const { encodeImages } = await import('@entropy-sc/inference/encode-images');
          const { defaultImagesDir } = await import('@entropy-sc/core/data/default-images');
          await encodeImages(model, flags.data.slice('images:'.length) || defaultImagesDir, flags.out, {
            outputs,
            stride: flags.stride,
          });
        } else if (model.kind === 'image') {
          throw new UserError(
            `${model.path} is an image model: it encodes images (--data images:DIR), not rows of ${flags.data}`,
          );
        } else {
          const { encodeNpyFile } = await import('@entropy-sc/inference/encode-npy');
          const outputs = model.selectOutputs(requested);
          await encodeNpyFile(model, flags.data, flags.out, { batch: flags.batch, outputs });
        }
      } finally {
        await model.close();
      }
    });
}
