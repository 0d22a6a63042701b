/**
 * A small builder for ONNX graphs (protobuf messages of the ONNX schema from `onnx-proto`): float
 * and int64 initializers, nodes with generated output names, and typed graph inputs and outputs.
 * Nodes and generated values are named by the scopes they are built in (`scope`), e.g.
 * `encoder/block0/expand/gemm` or `elbo/entropy_q/add`, so that a model opened in Netron reads
 * against docs/math.md; names the caller gives (contract outputs, initializers) stay as given.
 */
import onnxProto from 'onnx-proto';
import { BATCH_DIM } from '@entropy-sc/core/schema/onnx-contract';

const { onnx } = onnxProto;
type Attribute = onnxProto.onnx.IAttributeProto;

/** Attribute values: an integer, a list of integers or a float. */
export type AttributeValue = { int: number } | { ints: number[] } | { float: number };

/** Element types of graph inputs, outputs and initializers beyond float32. */
export const ElementType = onnx.TensorProto.DataType;

/** A dimension: fixed (a number) or symbolic (its name). */
export type Dim = number | string;

export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  /** operator domains besides ONNX's own that the nodes use (onnxruntime's `com.microsoft`), opset 1 each */
  readonly domains = new Set<string>();
  private readonly names = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly scopes: string[] = [];
  private counter = 0;

  /** Builds with `build`, naming its nodes and generated values under `name` (scopes nest: `a/b/…`). */
  scope<T>(name: string, build: () => T): T {
    this.scopes.push(name);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  /** A float32 initializer (stored as raw little-endian bytes). @returns its name */
  float(name: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const rawData = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    this.initializers.push({
      name: this.claim(name),
      dataType: onnx.TensorProto.DataType.FLOAT,
      dims: [...dims],
      rawData,
    });
    return name;
  }

  /** A float32 scalar constant with a generated name. */
  scalar(value: number): string {
    return this.float(this.fresh('const'), [value], []);
  }

  /** A float64 initializer with a generated name (stored as raw little-endian bytes). */
  double(data: readonly number[], dims: readonly number[] = [data.length]): string {
    const values = Float64Array.from(data);
    const name = this.claim(this.fresh('const'));
    this.initializers.push({
      name,
      dataType: onnx.TensorProto.DataType.DOUBLE,
      dims: [...dims],
      rawData: new Uint8Array(values.buffer),
    });
    return name;
  }

  /** An int64 vector initializer (shapes, axes). */
  int64(name: string, values: readonly number[]): string {
    this.initializers.push({
      name: this.claim(name),
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [values.length],
      int64Data: [...values],
    });
    return name;
  }

  /** An int64 initializer with a generated name (dims default: a vector; [] for a scalar). */
  longs(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.claim(this.fresh('const'));
    this.initializers.push({
      name,
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [...dims],
      int64Data: [...values],
    });
    return name;
  }

  /**
   * One node. @param output its output's name (generated when omitted)
   * @param domain the operator's domain (ONNX's own when omitted)
   * @returns the output's name
   */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    output?: string,
    domain?: string,
  ): string {
    const out = this.claim(output ?? this.fresh(opType.toLowerCase()));
    if (domain) this.domains.add(domain);
    this.nodes.push({
      opType,
      domain,
      input: [...inputs],
      output: [out],
      name: this.nodeName(opType),
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return out;
  }

  /** A float32 graph input with a symbolic batch dimension first (or without one: `batched` false). */
  input(name: string, dims: readonly number[], batched = true): string {
    this.inputs.push(valueInfo(this.claim(name), dims, batched));
    return name;
  }

  /** Marks `name` as a float32 graph output of shape [batch, ...dims] (or [...dims]: `batched` false). */
  output(name: string, dims: readonly number[], batched = true): void {
    this.outputs.push(valueInfo(name, dims, batched));
  }

  /** A graph input of any element type and dims (symbolic where named). */
  typedInput(name: string, elemType: number, dims: readonly Dim[]): string {
    this.inputs.push(typedValueInfo(this.claim(name), elemType, dims));
    return name;
  }

  /** Marks `name` as a graph output of any element type and dims (symbolic where named). */
  typedOutput(name: string, elemType: number, dims: readonly Dim[]): void {
    this.outputs.push(typedValueInfo(name, elemType, dims));
  }

  graph(name: string): onnxProto.onnx.IGraphProto {
    return { name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`GraphBuilder: the name ${name} is taken`);
    this.names.add(name);
    return name;
  }

  /** A value name not yet taken, under the current scope (not claimed: the caller claims it). */
  private fresh(prefix: string): string {
    let name: string;
    do name = [...this.scopes, `${prefix}_${this.counter++}`].join('/');
    while (this.names.has(name));
    return name;
  }

  /** The node's name: its scope and operator, numbered from the second of a kind in one scope. */
  private nodeName(opType: string): string {
    const base = [...this.scopes, opType.toLowerCase()].join('/');
    let name = base;
    for (let k = 2; this.nodeNames.has(name); k++) name = `${base}_${k}`;
    this.nodeNames.add(name);
    return name;
  }
}

function attribute(name: string, value: AttributeValue): Attribute {
  const { AttributeType } = onnx.AttributeProto;
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: value.ints };
  return { name, type: AttributeType.FLOAT, f: value.float };
}

function valueInfo(name: string, dims: readonly number[], batched: boolean): onnxProto.onnx.IValueInfoProto {
  return typedValueInfo(name, onnx.TensorProto.DataType.FLOAT, [...(batched ? [BATCH_DIM] : []), ...dims]);
}

function typedValueInfo(name: string, elemType: number, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}
