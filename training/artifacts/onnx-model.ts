/**
 * An exported encoder file as training reads it: its card, Θ from the ONNX initializers `dictionary`
 * (W̃), `prior_scales` (λ) and `noise_variance` (σ²) of cli.md `export`, and its other initializers
 * (the encoder's weights, for fine-tuning); and, for the gap (`gap --model M.onnx`), the encoder's
 * outputs from onnxruntime through @entropy-sc/inference. The file is decoded by inference's
 * readModelFile, the one ONNX reader.
 */
import { UserError } from '@entropy-sc/core/errors';
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import { INITIALIZER_NAMES } from '@entropy-sc/core/schema/onnx-contract';
import { encoderConfigOfCard } from '@entropy-sc/graph/encoder-spec';
import { readModelFile, type ModelFile, type ModelProto } from '@entropy-sc/inference/card';
import { loadModel, type EncoderModel } from '@entropy-sc/inference/model';
import type { PosteriorArrays } from '../objective/posterior-arrays.ts';
import type { FrozenModel } from './frozen-model.ts';

export interface DeployedModel {
  card: ModelCard;
  model: FrozenModel;
  encode: (x: Float32Array, rows: number) => Promise<PosteriorArrays>;
  /** mean of the model's own `elbo` output over rows [rows, D] (for checks) */
  onnxElbo: (x: Float32Array, rows: number) => Promise<Float32Array>;
  dispose: () => Promise<void>;
}

/** An initializer's float32 values and shape. */
function initializer(model: ModelProto, name: string, path: string): { data: Float32Array; shape: number[] } {
  const t = (model.graph!.initializer ?? []).find((i) => i.name === name);
  if (!t) throw new UserError(`${path}: no initializer '${name}' (is it an entropy-sc export?)`);
  const shape = (t.dims ?? []).map(Number);
  const raw = t.rawData;
  const data =
    raw && raw.length > 0 ? new Float32Array(Uint8Array.from(raw).buffer) : Float32Array.from(t.floatData ?? []);
  if (data.length !== shape.reduce((a, b) => a * b, 1))
    throw new UserError(`${path}: initializer '${name}' has ${data.length} values for shape [${shape.join(', ')}]`);
  return { data, shape };
}

export interface OnnxArtifact {
  card: ModelCard;
  model: FrozenModel;
  /** an initializer's float32 values (one UserError naming the file if it is missing) */
  floats: (name: string) => Float32Array;
}

/** The card, Θ and initializers of an exported encoder file. */
export async function readOnnxArtifact(path: string): Promise<OnnxArtifact> {
  return onnxArtifactOf(await readModelFile(path), path);
}

/** The card, Θ and initializers of a decoded encoder file. */
export function onnxArtifactOf(file: ModelFile, path: string): OnnxArtifact {
  const { card } = file;
  const { d, h } = card;
  const w = initializer(file.model, INITIALIZER_NAMES.dictionary, path);
  const lambda = initializer(file.model, INITIALIZER_NAMES.priorScales, path);
  const sigma2 = initializer(file.model, INITIALIZER_NAMES.noiseVariance, path);
  if (w.shape.join() !== `${d},${h}` || lambda.data.length !== h || sigma2.data.length !== 1)
    throw new UserError(
      `${path}: initializers dictionary [${w.shape.join(', ')}], prior_scales [${lambda.shape.join(', ')}] do not match the card's D=${d}, H=${h}`,
    );
  return {
    card,
    model: { dictionary: w.data, lambda: Float64Array.from(lambda.data), sigma2: sigma2.data[0]!, d, h },
    floats: (name) => initializer(file.model, name, path).data,
  };
}

export async function loadDeployedModel(path: string): Promise<DeployedModel> {
  const { card, model } = await readOnnxArtifact(path);
  const spec = encoderConfigOfCard(card);
  if (!spec) throw new UserError(`${path}: its model card describes no encoder`);
  const encoder: EncoderModel = await loadModel(path);
  return {
    card,
    model,
    encode: async (x, rows) => {
      if (spec.family === 'lowrank') {
        const out = await encoder.encode(x, rows, ['mean', 'cov_factor', 'cov_diag']);
        // cov_diag is d² (T = VVᵀ + diag(cov_diag))
        return {
          family: 'lowrank',
          mean: out.mean!.data,
          factor: out.cov_factor!.data,
          diagStd: out.cov_diag!.data.map(Math.sqrt),
          rank: spec.rank,
        };
      }
      const out = await encoder.encode(x, rows, ['mean', 'variance']);
      return { family: 'diag', mean: out.mean!.data, std: out.variance!.data.map(Math.sqrt) };
    },
    onnxElbo: async (x, rows) => (await encoder.encode(x, rows, ['elbo'])).elbo!.data,
    dispose: () => encoder.close(),
  };
}
