/**
 * The gradient of a minibatch's L_{γ,δ} (Eq. 17) with respect to every encoder weight and W, and its
 * value, computed by onnxruntime from one graph (gradient-graph.ts). The parameters and the gradient
 * are flat vectors in the order of AmortizedModel.variables (the encoder's, then W).
 */
import { annealedElbo, entropiesOfSums } from '@entropy-sc/core/elbo/entropies';
import { INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import { openGraphSession, type GraphSession, type Tensor } from '@entropy-sc/inference/graph-session';
import { layerShapes, type EncoderConfig, type LayerShape } from '@entropy-sc/graph/encoder-spec';
import { gradientGraph, STEP_INPUTS, type GradientGraph } from '@entropy-sc/graph/gradient-graph';

export class EncoderGradient {
  private constructor(
    private readonly config: EncoderConfig,
    private readonly layers: LayerShape[],
    private readonly graph: Omit<GradientGraph, 'bytes'>,
    private readonly session: GraphSession,
    /** start of every variable in the flat vectors, and P at the end */
    readonly offsets: number[],
  ) {}

  /** @param threads onnxruntime's intra-op threads (default: the machine's cores) */
  static async create(config: EncoderConfig, threads?: number): Promise<EncoderGradient> {
    const { bytes, ...graph } = gradientGraph(config);
    // Idle onnxruntime threads must not spin: Adam's threads update the parameters between two runs.
    const session = await openGraphSession(bytes, { intraOpThreads: threads, spinning: false });
    const layers = layerShapes(config);
    const offsets = [0];
    for (const l of layers)
      offsets.push(offsets.at(-1)! + l.inputs * l.outputs, offsets.at(-1)! + l.inputs * l.outputs + l.outputs);
    offsets.push(offsets.at(-1)! + config.d * config.h);
    return new EncoderGradient(config, layers, graph, session, offsets);
  }

  /**
   * @param x the minibatch [rows, D] @param params the flat parameters
   * @param gradient receives ∂L_{γ,δ}/∂params (flat, same layout)
   * @returns L_{γ,δ} of the minibatch
   */
  async compute(
    x: Float32Array,
    rows: number,
    params: Float32Array,
    gamma: number,
    delta: number,
    gradient: Float32Array,
  ): Promise<number> {
    const { d, h } = this.config;
    const { sums } = this.graph;
    const inputs: Record<string, Tensor> = {
      [INPUT_NAME]: { data: x, shape: [rows, d] },
      [STEP_INPUTS.dictionary]: { data: params.subarray(this.offsets.at(-2)!, this.offsets.at(-1)!), shape: [d, h] },
      [STEP_INPUTS.gamma]: { data: Float32Array.of(gamma), shape: [] },
      [STEP_INPUTS.delta]: { data: Float32Array.of(delta), shape: [] },
    };
    this.layers.forEach((l, i) => {
      const [w, b, end] = [this.offsets[2 * i]!, this.offsets[2 * i + 1]!, this.offsets[2 * i + 2]!];
      inputs[`${l.name}.weight`] = { data: params.subarray(w, b), shape: [l.inputs, l.outputs] };
      inputs[`${l.name}.bias`] = { data: params.subarray(b, end), shape: [l.outputs] };
    });
    const out = await this.session.runInputs(inputs, [
      ...this.graph.gradients,
      sums.scaledM,
      sums.squaredError,
      sums.logDet,
    ]);
    this.graph.gradients.forEach((name, i) => gradient.set(out[name]!.data, this.offsets[i]!));
    const statistics = {
      scaledM: Float64Array.from(out[sums.scaledM]!.data),
      squaredError: out[sums.squaredError]!.data[0]!,
      logDet: out[sums.logDet]!.data[0]!,
    };
    return annealedElbo(entropiesOfSums(statistics, rows, d), gamma, delta);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
