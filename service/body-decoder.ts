/**
 * Decodes request bodies without blocking the event loop: cheap ones on it (a worker hop would cost
 * more than they do), costly ones in a worker thread of their own. What costs is JSON text; binary
 * tensor bytes are only checked for finite values, about a hundred times faster per byte. A worker
 * that dies fails the bodies it held (500) and is started again for the next one.
 */
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '@entropy-sc/core/worker/ts-worker';
import { decodeBody, type BodyKind, type DecodedBody, type DecodedRows, type DecodeTarget } from './body-decoding.ts';
import type { DecodeJob, DecodeMessage, DecoderInit } from './decode-protocol.ts';
import { HttpError } from './http-error.ts';
import type { ImageInferRequest } from './oip/image-infer-request.ts';

/** JSON text up to this many bytes is decoded on the event loop (about a millisecond of work)... */
export const INLINE_BODY_BYTES = 256 * 1024;
/** ...and binary tensor bytes up to this many (about as long: they are only checked, not parsed). */
export const INLINE_BINARY_BYTES = 8 * 1024 * 1024;

const ENTRY = new URL('./decode-worker.ts', import.meta.url);

interface Job {
  resolve(decoded: DecodedBody): void;
  reject(error: unknown): void;
}

export class BodyDecoder {
  private worker: Promise<Worker> | null = null;
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly init: DecoderInit) {}

  /** Starts the worker now rather than at the first large body. */
  warm(): Promise<void> {
    return this.ensure().then(() => undefined);
  }

  /**
   * @param body the request's own buffer (readBody's): it may move to the worker
   * @param model the model the body is for (its name, info and image geometry: plain data)
   */
  decode(
    kind: 'oip-image',
    body: Buffer,
    model: DecodeTarget,
    headerLength?: string,
  ): Promise<{ images: ImageInferRequest }>;
  decode(
    kind: Exclude<BodyKind, 'oip-image'>,
    body: Buffer,
    model: DecodeTarget,
    headerLength?: string,
  ): Promise<DecodedRows>;
  decode(kind: BodyKind, body: Buffer, model: DecodeTarget, headerLength?: string): Promise<DecodedBody> {
    // Only an OIP body says where its text ends (an .npy header may be long: it counts whole, as JSON does).
    const oip = kind === 'oip' || kind === 'oip-image';
    const binary = oip && headerLength !== undefined ? body.length - (Number(headerLength) || 0) : 0;
    if (body.length - binary <= INLINE_BODY_BYTES && binary <= INLINE_BINARY_BYTES)
      return Promise.resolve().then(() => decodeBody(kind, body, headerLength, model, this.init.maxRows));
    const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    return this.ensure().then(
      (worker) =>
        new Promise<DecodedBody>((resolve, reject) => {
          // Only the model's plain data crosses (a served model holds its batcher).
          const plain = { name: model.name, info: model.info, image: model.image };
          const job: DecodeJob = { id: this.nextId++, kind, model: plain, body: bytes, headerLength };
          this.jobs.set(job.id, { resolve, reject });
          worker.postMessage(job, [bytes.buffer as ArrayBuffer]);
        }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker) await (await worker).terminate();
  }

  private ensure(): Promise<Worker> {
    if (this.closed) return Promise.reject(new Error('the body decoder is closed'));
    this.worker ??= new Promise<Worker>((resolve, reject) => {
      const worker = startTsWorker(ENTRY, this.init);
      worker.once('message', () => resolve(worker));
      worker.on('message', (message: DecodeMessage | { ready: true }) => {
        if (!('id' in message)) return;
        const job = this.jobs.get(message.id);
        this.jobs.delete(message.id);
        if ('decoded' in message) job?.resolve(message.decoded);
        // An unexpected error's message is for the log, not the client (the error handler says 500).
        else
          job?.reject(
            message.status >= 500 ? new Error(message.message) : new HttpError(message.status, message.message),
          );
      });
      worker.once('exit', (code) => {
        this.worker = null;
        reject(new Error(`the body decoder's worker exited (code ${code})`));
        for (const job of this.jobs.values())
          job.reject(
            new HttpError(500, 'the worker decoding this request body stopped unexpectedly; retry the request'),
          );
        this.jobs.clear();
      });
    });
    return this.worker;
  }
}
