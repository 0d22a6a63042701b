/**
 * A loaded image model (export --image): its card says so (`card.image`: window and stride). Images
 * of equal size and channels go through the graph in one run ([batch, height, width, channels]
 * uint8); its outputs are split back per image as image-codes.ts describes them.
 */
import { UserError } from '@entropy-sc/core/errors';
import type { ImagePixels } from '@entropy-sc/core/data/image-file';
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import { isOutputName, OUTPUT_NAMES, type OutputName } from '@entropy-sc/core/schema/onnx-contract';
import { IMAGE_INPUT_NAME } from '@entropy-sc/graph/image-model-graph';
import type { ModelProto } from './card.ts';
import type { LoadOptions, Tensor } from './graph-session.ts';
import { checkImage, imageGrid, type EncodeImagesOptions, type ImageCodes } from './image-codes.ts';
import type { EncoderModel } from './model.ts';
import { PrunedSessions } from './pruned-sessions.ts';
import type { ResolvedProvider } from './providers.ts';

export class OnnxImageModel implements EncoderModel {
  readonly kind = 'image';
  readonly d: number;
  readonly h: number;
  readonly outputs: readonly OutputName[];
  /** the window side P and the stride fixed at export */
  readonly patch: number;
  readonly stride: number;
  private readonly sessions: PrunedSessions;

  constructor(
    readonly path: string,
    readonly card: ModelCard,
    model: ModelProto,
    provider: ResolvedProvider,
    options: LoadOptions,
  ) {
    this.d = card.d;
    this.h = card.h;
    this.patch = card.image!.patch;
    this.stride = card.image!.stride;
    const names = new Set((model.graph!.output ?? []).map((o) => o.name ?? ''));
    this.outputs = OUTPUT_NAMES.filter((name) => names.has(name));
    this.sessions = new PrunedSessions(model, this.outputs, provider, options);
  }

  /** Opens the session of all outputs (loadModel: fail at load, not at the first image). */
  open(bytes: Uint8Array): Promise<unknown> {
    return this.sessions.get(this.outputs, bytes);
  }

  encode(_x: Float32Array, _rows: number): Promise<Partial<Record<OutputName, Tensor>>> {
    return Promise.reject(
      new UserError(
        `${this.path} is an image model: it encodes images (encodeImages, encode --data images:DIR), not rows`,
      ),
    );
  }

  selectOutputs(requested: readonly string[] = this.outputs): OutputName[] {
    for (const name of requested) {
      if (!isOutputName(name)) throw new UserError(`unknown output '${name}'; outputs are ${OUTPUT_NAMES.join(', ')}`);
      if (!this.outputs.includes(name))
        throw new UserError(`${this.path} has no output '${name}' (it offers ${this.outputs.join(', ')})`);
    }
    if (requested.length === 0) throw new UserError('no outputs asked for');
    return this.outputs.filter((name) => requested.includes(name));
  }

  async encodeImages(images: readonly ImagePixels[], options: EncodeImagesOptions = {}): Promise<ImageCodes[]> {
    if (options.stride !== undefined && options.stride !== this.stride)
      throw new UserError(
        `${this.path} cuts windows at stride ${this.stride} (fixed at export); for stride ${options.stride} export it again with --image --stride ${options.stride}, or encode with the patch model`,
      );
    const names = this.selectOutputs(options.outputs);
    for (const image of images) checkImage(image, this.patch);
    const session = await this.sessions.get(names);
    const codes: ImageCodes[] = [];
    for (let start = 0; start < images.length;) {
      const first = images[start]!;
      let end = start + 1;
      while (end < images.length && sameShape(images[end]!, first)) end++;
      const batch = images.slice(start, end);
      const data = new Uint8Array(batch.length * first.data.length);
      batch.forEach((image, b) => data.set(image.data, b * first.data.length));
      const shape = [batch.length, first.height, first.width, first.channels];
      const result = await session.runInputs({ [IMAGE_INPUT_NAME]: { data, shape } }, names);
      const { tops, lefts } = imageGrid(first.width, first.height, this.patch, this.stride);
      batch.forEach((image, b) => {
        const outputs: Partial<Record<OutputName, Tensor>> = {};
        for (const name of names) {
          const t = result[name]!;
          const perImage = t.shape.slice(1);
          const size = perImage.reduce((a, c) => a * c, 1);
          outputs[name] = { data: t.data.slice(b * size, (b + 1) * size), shape: perImage };
        }
        codes.push({ name: image.name, width: image.width, height: image.height, tops, lefts, outputs });
      });
      start = end;
    }
    return codes;
  }

  close(): Promise<void> {
    return this.sessions.close();
  }
}

function sameShape(a: ImagePixels, b: ImagePixels): boolean {
  return a.width === b.width && a.height === b.height && a.channels === b.channels;
}
