/**
 * Entry of the body decoder's worker thread: parses and validates costly request bodies (JSON.parse
 * of tens of MiB, or checking millions of values, would stop the event loop for seconds).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '@entropy-sc/core/errors';
import { decodeBody, decodedBuffer } from './body-decoding.ts';
import type { DecodeJob, DecodeMessage, DecoderInit } from './decode-protocol.ts';
import { HttpError } from './http-error.ts';

const { maxRows } = workerData as DecoderInit;
const port = parentPort!;

port.on('message', (job: DecodeJob) => {
  let message: DecodeMessage;
  try {
    const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
    const decoded = decodeBody(job.kind, body, job.headerLength, job.model, maxRows);
    message = { id: job.id, decoded };
    port.postMessage(message, [decodedBuffer(decoded)]);
    return;
  } catch (error) {
    const status = error instanceof HttpError ? error.statusCode : error instanceof UserError ? 400 : 500;
    message = { id: job.id, status, message: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(message);
});
port.postMessage({ ready: true });
