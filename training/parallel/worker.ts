/**
 * Entry of a worker thread of the data-parallel learner (spawned by parallel-amortized-learner.ts
 * with tsx's loader). It registers its own tfjs backend, builds a replica of the encoder and W, and
 * then follows the main thread: each start barrier is followed by a step, or by loading the master
 * parameters (a sync) or encoding an evaluation batch, each closed by a second barrier.
 * Failures are written to the shared state, where a main thread waiting synchronously sees them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../backend.ts';
import { Encoder, type EncoderConfig } from '../encoder/encoder.ts';
import { Barrier, LearnerClosed } from './barrier.ts';
import { ShardReplica } from './shard-replica.ts';
import { Command, Control, SharedState, type SharedBuffers, type SharedLayout } from './shared-state.ts';

export interface WorkerInit {
  index: number;
  backend: string;
  encoder: EncoderConfig;
  rates: number[];
  buffers: SharedBuffers;
  layout: SharedLayout;
}

const init = workerData as WorkerInit;
const shared = SharedState.attach(init.buffers, init.layout);
try {
  await useBackend(init.backend);
  // The initial values do not matter: every step starts by pulling the shared parameters.
  const encoder = new Encoder(init.encoder, 0);
  const dictionary = tf.variable(tf.zeros([init.encoder.d, init.encoder.h]) as tf.Tensor2D);
  const barrier = new Barrier(shared, Infinity);
  const replica = new ShardReplica(init.index, shared, barrier, encoder, dictionary, init.rates);
  parentPort!.postMessage('ready');
  try {
    // Runs until dispose() closes the learner: the barrier then throws LearnerClosed.
    for (;;) {
      barrier.wait();
      const command = Atomics.load(shared.control, Control.command);
      if (command === Command.step) {
        replica.step();
        continue;
      }
      if (command === Command.sync) replica.pull();
      barrier.wait();
    }
  } finally {
    replica.dispose();
  }
} catch (error) {
  if (!(error instanceof LearnerClosed)) shared.fail(`worker ${init.index}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}
