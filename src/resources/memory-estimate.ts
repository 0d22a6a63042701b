/**
 * The memory a training run needs, estimated from its shapes before anything is allocated, so that
 * a run that cannot fit is refused at once with one line instead of a RangeError or "memory access
 * out of bounds" after minutes. Estimates count float32 arrays (4 bytes a value) and leave out
 * what is small next to them; they are lower bounds of the peak, not exact figures.
 */
import { freemem, totalmem } from 'node:os';
import { UserError } from '../errors.ts';

/** tfjs-wasm's heap: a 32-bit WebAssembly memory (getHeapMax() of its Emscripten build). */
export const WASM_HEAP_BYTES = 4294901760;
/** The longest typed array V8 allocates. */
const MAX_TYPED_ARRAY_LENGTH = 2 ** 32;
/** L-BFGS problems hold at most this many posterior parameters (training/non-amortized/defaults.ts JOINT_LIMIT). */
const JOINT_LIMIT = 1_000_000;
/** evaluation batch of the whole-data ELBO (training/evaluate/evaluate-data-set.ts) */
const EVALUATION_BATCH = 1024;
/** L-BFGS history pairs (s, y), kept in float64 on the JS side */
const LBFGS_HISTORY = 10;

export interface RunShape {
  n: number;
  d: number;
  h: number;
  /** the minibatch; the learners use min(batch, N) rows */
  batch: number;
  family: 'diag' | 'lowrank' | 'full';
  /** low-rank rank (1 otherwise) */
  rank: number;
  /** encoder widths (amortized), or null (per-point posteriors by L-BFGS) */
  encoder: { hidden: number; inner: number; blocks: number } | null;
}

export interface MemoryEstimate {
  /** JS-side typed arrays: the data, per-point posteriors, shared buffers, checkpoint bytes */
  host: number;
  /** the backend's tensors: parameters, Adam moments, gradients, activations */
  tensors: number;
  /** the largest single typed array, in values */
  largestArray: number;
  /** the largest term, for the message */
  largest: { what: string; bytes: number };
}

/** Trainable values of the encoder of math.md (Linear D→hidden, residual blocks, heads) and of W. */
export function encoderParameters(
  s: Pick<RunShape, 'd' | 'h' | 'rank' | 'family'>,
  e: NonNullable<RunShape['encoder']>,
): number {
  const dense = (from: number, to: number) => from * to + to;
  const heads = dense(e.hidden, s.h) * 2 + (s.family === 'lowrank' ? dense(e.hidden, s.h * s.rank) : 0);
  return dense(s.d, e.hidden) + e.blocks * (dense(e.hidden, e.inner) + dense(e.inner, e.hidden)) + heads;
}

/** Posterior parameters of one point fitted by L-BFGS: mean, spread, and the factor or strict lower triangle. */
export function pointParameters(s: Pick<RunShape, 'h' | 'rank' | 'family'>): number {
  const extra = s.family === 'lowrank' ? s.h * s.rank : s.family === 'full' ? (s.h * (s.h - 1)) / 2 : 0;
  return 2 * s.h + extra;
}

export function estimateRunMemory(s: RunShape): MemoryEstimate {
  const f32 = 4;
  const b = Math.min(s.batch, s.n);
  const terms: Record<string, { host: number; tensors: number; values: number }> = {};
  const data = estimateDataMemory(s.n, s.d);
  terms[data.largest.what] = { host: data.host, tensors: 0, values: data.largestArray };
  const w = s.d * s.h;
  // per-point covariance work of a batch: T_n is H×H for the full family, H×r otherwise
  const perPointCovariance = s.family === 'full' ? s.h * s.h : s.h * (s.rank + 2);
  if (s.encoder) {
    const p = encoderParameters(s, s.encoder) + w;
    // parameters, gradients, Adam's two moments (tensors, or flat host vectors under onnxruntime); the checkpoint holds three of them as bytes
    terms[`encoder and dictionary (${p} parameters)`] = {
      host: 3 * p * f32,
      tensors: 4 * p * f32,
      values: p,
    };
    const e = s.encoder;
    const widths = s.d + e.hidden * (1 + 2 * e.blocks) + e.inner * 2 * e.blocks + perPointCovariance;
    const rows = Math.max(b, Math.min(EVALUATION_BATCH, s.n));
    // forward values kept for the backward pass, their gradients, and temporaries
    const widest = Math.max(s.d, e.hidden, e.inner, perPointCovariance);
    terms[`activations of a batch of ${rows}`] = { host: 0, tensors: 3 * rows * widths * f32, values: rows * widest };
  } else {
    const perPoint = pointParameters(s);
    terms[`per-point posteriors (${perPoint} values per point)`] = {
      host: 3 * s.n * perPoint * f32,
      tensors: 0,
      values: s.n * perPoint,
    };
    const problem = Math.min(s.n * perPoint, Math.max(JOINT_LIMIT, perPoint));
    const rows = Math.max(1, Math.min(s.n, Math.floor(problem / perPoint)));
    terms[`an L-BFGS problem of ${problem} values`] = {
      host: 2 * LBFGS_HISTORY * problem * 8,
      tensors: 4 * problem * f32 + 3 * rows * (s.d + perPointCovariance) * f32 + 4 * w * f32,
      values: Math.max(problem, rows * perPointCovariance),
    };
  }
  let host = 0;
  let tensors = 0;
  let largestArray = 0;
  let largest = { what: '', bytes: -1 };
  for (const [what, t] of Object.entries(terms)) {
    host += t.host;
    tensors += t.tensors;
    largestArray = Math.max(largestArray, t.values);
    if (t.host + t.tensors > largest.bytes) largest = { what, bytes: t.host + t.tensors };
  }
  return { host, tensors, largestArray, largest };
}

/** The estimate of a data set alone (rows [N, D] as float32), as `patches` makes it. */
export function estimateDataMemory(n: number, d: number): MemoryEstimate {
  const bytes = n * d * 4;
  return { host: bytes, tensors: 0, largestArray: n * d, largest: { what: `data [N=${n}, D=${d}]`, bytes } };
}

/** Memory this process may use: the cgroup's limit where there is one, else the machine's. */
export function availableMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < totalmem() ? constrained : totalmem();
}

/**
 * Throws one line giving the estimate if the run cannot fit: host arrays beyond the memory
 * available, tensors beyond the wasm heap, or an array longer than V8 allows.
 * @param backend the TensorFlow.js backend (wasm tensors live in its 4 GiB heap; cpu tensors on the host)
 */
export function checkRunMemory(estimate: MemoryEstimate, backend: string, memory = availableMemory()): void {
  const total = estimate.host + (backend === 'wasm' ? 0 : estimate.tensors);
  const advice = `the largest part is ${estimate.largest.what}, about ${bytesText(estimate.largest.bytes)}; use fewer --samples, --latents or smaller encoder widths`;
  if (estimate.largestArray > MAX_TYPED_ARRAY_LENGTH)
    throw new UserError(
      `this run needs an array of ${estimate.largestArray} values, more than the ${MAX_TYPED_ARRAY_LENGTH} one array can hold; ${advice}`,
    );
  if (backend === 'wasm' && estimate.tensors > WASM_HEAP_BYTES)
    throw new UserError(
      `this run needs about ${bytesText(estimate.tensors)} of tensor memory, more than the wasm backend's ${bytesText(WASM_HEAP_BYTES)} heap; ${advice}`,
    );
  if (total > memory)
    throw new UserError(
      `this run needs about ${bytesText(total)} of memory, more than the ${bytesText(memory)} of this machine (${bytesText(freemem())} free now); ${advice}`,
    );
}

export function bytesText(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let k = 0;
  while (bytes >= 1024 && k < units.length - 1) {
    bytes /= 1024;
    k++;
  }
  return `${k === 0 ? bytes : bytes.toPrecision(3)} ${units[k]}`;
}
