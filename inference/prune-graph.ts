/**
 * The part of an encoder's graph that a subset of its outputs needs: nodes no requested output
 * depends on, and initializers no kept node reads, are dropped, so a session for `mean,variance`
 * does not compute the ELBO (onnxruntime runs every node of a graph whatever the fetches).
 */
import onnxProto from 'onnx-proto';
import type { ModelProto } from './card.ts';

const { onnx } = onnxProto;

/** @returns the encoded ONNX model whose graph outputs are exactly `outputs` */
export function pruneToOutputs(model: ModelProto, outputs: readonly string[]): Uint8Array {
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const needed = new Set<string>(outputs);
  const kept: typeof nodes = [];
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    if (!(node.output ?? []).some((name) => needed.has(name))) continue;
    kept.unshift(node);
    for (const name of node.input ?? []) needed.add(name);
  }
  const pruned = onnx.ModelProto.create({
    ...model,
    graph: onnx.GraphProto.create({
      ...graph,
      node: kept,
      initializer: (graph.initializer ?? []).filter((t) => needed.has(t.name ?? '')),
      output: (graph.output ?? []).filter((o) => outputs.includes(o.name ?? '')),
    }),
  });
  return onnx.ModelProto.encode(pruned).finish();
}
