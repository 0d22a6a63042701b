/**
 * Code that runs on every backend and must read values on the host in the middle (the whole-data
 * evaluation) is written as a generator: it yields the tensors whose values it needs and resumes
 * with them. A driver reads them synchronously (CPU backends, and callers that cannot wait) or
 * asynchronously (GPU backends: tfjs-backend-webgpu cannot read synchronously in Node), and
 * disposes what it read.
 */
import * as tf from '@tensorflow/tfjs-core';

export type Reads<T> = Generator<tf.Tensor[], T, Float32Array[]>;

export function readSync<T>(reads: Reads<T>): T {
  try {
    for (let step = reads.next([]); ;) {
      if (step.done) return step.value;
      const values = step.value.map((t) => t.dataSync() as Float32Array);
      tf.dispose(step.value);
      step = reads.next(values);
    }
  } finally {
    reads.return(undefined as T);
  }
}

export async function readAsync<T>(reads: Reads<T>): Promise<T> {
  try {
    for (let step = reads.next([]); ;) {
      if (step.done) return step.value;
      const tensors = step.value;
      const values = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose(tensors);
      step = reads.next(values);
    }
  } finally {
    reads.return(undefined as T);
  }
}
