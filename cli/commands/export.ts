/** `entropy-sc export`: a training run's encoder as an ONNX file with its model card (cli.md). */
import { Command } from 'commander';
import { positiveInt } from '../parse.ts';

interface ExportFlags {
  run: string;
  out: string;
  fullCovariance: boolean;
  image: boolean;
  stride?: number;
  triton?: string;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'write a trained encoder as ONNX (IR 8, opset 17): outputs mean, variance, elbo, reconstruction (+ cov_factor, cov_diag for low-rank); the model card goes into metadata_props and MODEL.card.json',
    )
    .requiredOption(
      '--run <dir>',
      'training run directory (model.json, checkpoint.ckpt, dictionary.npy, prior_scales.npy)',
    )
    .requiredOption('--out <MODEL.onnx>', 'the ONNX file to write')
    .option('--full-covariance', 'also output the dense covariance [batch, H, H]', false)
    .option(
      '--image',
      'write the image model instead: uint8 images [batch, height, width, channels] in, the whitening and the window grid inside the graph',
      false,
    )
    .option('--stride <S>', 'with --image: pixels between neighbouring windows (default P/2)', positiveInt)
    .option(
      '--triton <REPO>',
      'also write an NVIDIA Triton model repository: REPO/<name>/config.pbtxt and REPO/<name>/1/model.onnx (and REPO/<name>-image/ for runs on images)',
    )
    .action(async (flags: ExportFlags) => {
      const { UserError } = await import('@entropy-sc/core/errors');
      if (flags.stride !== undefined && !flags.image) throw new UserError('--stride needs --image');
      const { exportRun } = await import('@entropy-sc/training/export/export-run');
      const { checkTritonRepository, writeTritonRepository } = await import('@entropy-sc/training/export/triton');
      // every destination is checked before the first file is written
      if (flags.triton !== undefined) await checkTritonRepository(flags.triton);
      const result = await exportRun({
        run: flags.run,
        out: flags.out,
        fullCovariance: flags.fullCovariance,
        ...(flags.image ? { image: { stride: flags.stride } } : {}),
      });
      process.stderr.write(
        `wrote ${result.path} (${(result.bytes.length / 1e6).toFixed(1)} MB; outputs ${result.outputs.join(', ')}) and ${result.cardPath}\n`,
      );
      const gap = result.card.amortization_gap;
      if (gap)
        process.stderr.write(
          `the card records the amortization gap ${gap.gap.toFixed(2)} nats per point (${gap.points} points, gap.json)\n`,
        );
      if (result.staleGap)
        process.stderr.write(
          `${flags.run}/gap.json is from epoch ${result.staleGap.epoch + 1}, the run is further on: not in the card (measure again with gap --run ${flags.run})\n`,
        );
      if (flags.triton !== undefined) {
        const { buildImageModel, hasImageModel } = await import('@entropy-sc/inference/image-model-build');
        const { decodeModel } = await import('@entropy-sc/inference/card');
        const { patch } = result;
        // Triton batches only equal-size images; a batch of 16 images of 512×512 is already 63 504 windows
        const models = [{ name: patch.card.name, bytes: patch.bytes, maxBatchSize: 1024 }];
        if (result.card.image) models.push({ name: result.card.name, bytes: result.bytes, maxBatchSize: 16 });
        else if (hasImageModel(patch.card)) {
          const image = buildImageModel(decodeModel(patch.bytes, flags.out), patch.card);
          models.push({ name: image.card.name, bytes: image.bytes, maxBatchSize: 16 });
        }
        for (const model of models) {
          const triton = await writeTritonRepository(flags.triton, model.name, model.bytes, {
            maxBatchSize: model.maxBatchSize,
          });
          process.stderr.write(
            `wrote the Triton model ${model.name} into ${flags.triton}: ${triton.config}, ${triton.model}\n`,
          );
        }
      }
    });
}
