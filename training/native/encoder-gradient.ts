/**
 * The gradient of a minibatch's L_{γ,δ} (Eq. 17) with respect to every encoder weight and W, with
 * the encoder's matrix products under onnxruntime (encoder-gradient-graphs.ts) and the objective,
 * a function of the heads' [B, H] outputs and W, differentiated by TensorFlow.js as everywhere else
 * (objective/). The parameters and the gradient are flat vectors in the order of
 * AmortizedModel.variables (the encoder's, then W).
 */
import * as tf from '@tensorflow/tfjs-core';
import { INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import { openGraphSession, type GraphSession, type Tensor } from '@entropy-sc/inference/graph-session';
import { headsPosterior, type EncoderConfig } from '../encoder/encoder.ts';
import { annealedObjective, batchEntropies } from '../objective/entropy-elbo.ts';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import { encoderGradientGraphs, layerShapes, type GradientGraphs } from './encoder-gradient-graphs.ts';

export class EncoderGradient {
  private constructor(
    private readonly config: EncoderConfig,
    private readonly graphs: GradientGraphs,
    private readonly forward: GraphSession,
    private readonly backward: GraphSession,
    /** start of every variable in the flat vectors, and P at the end */
    readonly offsets: number[],
  ) {}

  /** @param threads onnxruntime's intra-op threads (default: the machine's cores) */
  static async create(config: EncoderConfig, threads?: number): Promise<EncoderGradient> {
    const graphs = encoderGradientGraphs(config);
    // Idle onnxruntime threads must not spin: TensorFlow.js computes the objective between the two runs.
    const options = { intraOpThreads: threads, spinning: false };
    const [forward, backward] = await Promise.all([openGraphSession(graphs.forward, options), openGraphSession(graphs.backward, options)]);
    const offsets = [0];
    for (const l of layerShapes(config)) offsets.push(offsets.at(-1)! + l.inputs * l.outputs, offsets.at(-1)! + l.inputs * l.outputs + l.outputs);
    offsets.push(offsets.at(-1)! + config.d * config.h);
    return new EncoderGradient(config, graphs, forward, backward, offsets);
  }

  /**
   * @param x the minibatch [rows, D] @param params the flat parameters
   * @param gradient receives ∂L_{γ,δ}/∂params (flat, same layout)
   * @returns L_{γ,δ} of the minibatch
   */
  async compute(x: Float32Array, rows: number, params: Float32Array, gamma: number, delta: number, gradient: Float32Array): Promise<number> {
    const { d, h } = this.config;
    const weights = this.weightInputs(params);
    const xs: Tensor = { data: x, shape: [rows, d] };
    const out = await this.forward.runInputs({ [INPUT_NAME]: xs, ...weights }, this.graphs.forwardOutputs);
    const heads = this.graphs.forwardOutputs.slice(0, this.graphs.headGradients.length);
    const w = params.subarray(this.offsets.at(-2)!, this.offsets.at(-1)!);
    // Read inside the scope but kept outside its result: tf.tidy walks what it returns, element by element.
    const headGradients: Float32Array[] = [];
    const value = tf.tidy(() => {
      const xt = tf.tensor2d(x, [rows, d]);
      const headTensors = heads.map((name) => tf.tensor2d(out[name]!.data, out[name]!.shape as [number, number]));
      const objective = (...args: tf.Tensor[]) => {
        const [mean, std, factor] = args.slice(0, -1) as tf.Tensor2D[];
        const q = headsPosterior(this.config, mean!, std!, factor ?? null);
        return annealedObjective(batchEntropies(pointStatistics(xt, normalizeColumns(args.at(-1) as tf.Tensor2D), q), d), gamma, delta);
      };
      const { value, grads } = tf.valueAndGrads(objective)([...headTensors, tf.tensor2d(w, [d, h])]);
      gradient.set(grads.at(-1)!.dataSync(), this.offsets.at(-2)!);
      for (const g of grads.slice(0, -1)) headGradients.push(g.dataSync() as Float32Array);
      return value.dataSync()[0]!;
    });
    const inputs: Record<string, Tensor> = { [INPUT_NAME]: xs, ...weights };
    for (const name of this.graphs.saved) inputs[name] = out[name]!;
    this.graphs.headGradients.forEach((name, i) => (inputs[name] = { data: headGradients[i]!, shape: out[heads[i]!]!.shape }));
    const grads = await this.backward.runInputs(inputs, this.graphs.weightGradients);
    this.graphs.weightGradients.forEach((name, i) => gradient.set(grads[name]!.data, this.offsets[i]!));
    return value;
  }

  private weightInputs(params: Float32Array): Record<string, Tensor> {
    const inputs: Record<string, Tensor> = {};
    layerShapes(this.config).forEach((l, i) => {
      const [w, b, end] = [this.offsets[2 * i]!, this.offsets[2 * i + 1]!, this.offsets[2 * i + 2]!];
      inputs[`${l.name}.weight`] = { data: params.subarray(w, b), shape: [l.inputs, l.outputs] };
      inputs[`${l.name}.bias`] = { data: params.subarray(b, end), shape: [l.outputs] };
    });
    return inputs;
  }

  async dispose(): Promise<void> {
    await Promise.all([this.forward.release(), this.backward.release()]);
  }
}
