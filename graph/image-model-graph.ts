/**
 * The image model (cli.md `export --image`): a patch model's graph composed behind the card's
 * preprocessing, so that any ONNX runtime encodes a decoded image directly. uint8 `image`
 * [batch, height, width, channels] → gray → whitened → the P×P windows at stride S → the patch
 * model's graph, unchanged (its nodes and initializers renamed into `patch/`, but Θ's initializers
 * keep their contract names) → its outputs per window [batch, rows, cols, …], `reconstruction`
 * averaged over the windows and `whitened` per pixel [batch, height, width].
 */
import onnxProto from 'onnx-proto';
import { BATCH_DIM, INITIALIZER_NAMES, INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import { ElementType, GraphBuilder, type Dim } from './graph-builder.ts';
import { grayNodes } from './gray-image-graph.ts';
import { overlapAverageNodes } from './overlap-average-graph.ts';
import { whiteningNodes } from './whitening-graph.ts';
import { windowGridNodes } from './window-grid-graph.ts';

type ModelProto = onnxProto.onnx.IModelProto;

/** The image model's input. */
export const IMAGE_INPUT_NAME = 'image';
/** Its per-pixel output besides `reconstruction`, and the image input's symbolic dimensions. */
const WHITENED_OUTPUT = 'whitened';
const IMAGE_DIMS = [BATCH_DIM, 'height', 'width', 'channels'] as const;

export interface ImageModelOptions {
  /** the window side P (P² = the patch model's D) */
  patch: number;
  /** pixels between neighbouring windows */
  stride: number;
  /** the image model's graph name */
  name: string;
  docString: string;
  metadataProps: onnxProto.onnx.IStringStringEntryProto[];
}

const PREFIX = 'patch/';
const kept = new Set<string>(Object.values(INITIALIZER_NAMES));

/** @returns the image model around `patchModel` (whose one input is rows x [batch, P²]) */
export function composeImageModel(patchModel: ModelProto, options: ImageModelOptions): ModelProto {
  const { patch: p, stride } = options;
  const inner = patchModel.graph!;
  const g = new GraphBuilder();
  const image = g.typedInput(IMAGE_INPUT_NAME, ElementType.UINT8, IMAGE_DIMS);
  const whitened64 = whiteningNodes(g, grayNodes(g, image));
  const whitened = g.scope('whitened', () =>
    g.op('Cast', [whitened64], { to: { int: ElementType.FLOAT } }, WHITENED_OUTPUT),
  );
  const grid = windowGridNodes(g, whitened, p, stride);

  const rename = (name: string) => (name === INPUT_NAME ? grid.rows : !name || kept.has(name) ? name : PREFIX + name);
  const insertAt = g.nodes.length;
  const innerNodes = (inner.node ?? []).map((node) => ({
    ...node,
    name: PREFIX + (node.name ?? ''),
    input: (node.input ?? []).map(rename),
    output: (node.output ?? []).map(rename),
  }));
  const innerInitializers = (inner.initializer ?? []).map((t) => ({ ...t, name: rename(t.name ?? '') }));

  const windowDims: Dim[] = [BATCH_DIM, 'rows', 'cols'];
  const pixelDims: Dim[] = [BATCH_DIM, 'height', 'width'];
  const outputs: Array<{ name: string; dims: Dim[] }> = [];
  for (const output of inner.output ?? []) {
    const name = output.name!;
    if (name === 'reconstruction') {
      const average = overlapAverageNodes(g, rename(name), grid, p);
      g.scope('reconstruction_average', () => g.op('Identity', [average], {}, name));
      outputs.push({ name, dims: pixelDims }, { name: WHITENED_OUTPUT, dims: pixelDims });
      continue;
    }
    const rest = (output.type?.tensorType?.shape?.dim ?? []).slice(1).map((d) => Number(d.dimValue));
    g.scope(`per_window/${name}`, () => {
      const shape = g.op('Concat', [grid.batch, grid.gridRows, grid.gridCols, g.longs(rest)], { axis: { int: 0 } });
      g.op('Reshape', [rename(name), shape], {}, name);
    });
    outputs.push({ name, dims: [...windowDims, ...rest] });
  }
  if (!outputs.some((o) => o.name === WHITENED_OUTPUT)) outputs.push({ name: WHITENED_OUTPUT, dims: pixelDims });
  for (const { name, dims } of outputs) g.typedOutput(name, ElementType.FLOAT, dims);

  g.nodes.splice(insertAt, 0, ...innerNodes);
  g.initializers.push(...innerInitializers);
  const graph = g.graph(options.name);
  return {
    irVersion: patchModel.irVersion,
    opsetImport: patchModel.opsetImport,
    producerName: patchModel.producerName,
    producerVersion: patchModel.producerVersion,
    docString: options.docString,
    graph,
    metadataProps: options.metadataProps,
  };
}
