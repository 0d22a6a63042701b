/** `entropy-sc export`: a training run's encoder as an ONNX file with its model card (cli.md). */
import { Command } from 'commander';

interface ExportFlags {
  run: string;
  out: string;
  fullCovariance: boolean;
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
      '--triton <REPO>',
      'also write an NVIDIA Triton model repository: REPO/<name>/config.pbtxt and REPO/<name>/1/model.onnx',
    )
    .action(async (flags: ExportFlags) => {
      const { exportRun } = await import('@entropy-sc/training/export/export-run');
      const result = await exportRun({ run: flags.run, out: flags.out, fullCovariance: flags.fullCovariance });
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
        const { writeTritonRepository } = await import('@entropy-sc/training/export/triton');
        const triton = await writeTritonRepository(flags.triton, result.card.name, result.bytes);
        process.stderr.write(`wrote the Triton model repository ${flags.triton}: ${triton.config}, ${triton.model}\n`);
      }
    });
}
