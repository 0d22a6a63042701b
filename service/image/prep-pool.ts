/**
 * A few image preparation workers (prep-worker.ts), so that decoding and whitening never block the
 * event loop. Jobs go to the least busy worker; a worker that dies fails its jobs (a 500) and is
 * replaced.
 */
import type { Worker } from 'node:worker_threads';
import type { ImagePixels } from '@entropy-sc/core/data/image-file';
import { UserError } from '@entropy-sc/core/errors';
import { nextMessage, startTsWorker } from '@entropy-sc/core/worker/ts-worker';
import { HttpError } from '../http-error.ts';
import type { PrepJob, PreparedImage, PrepMessage } from './prep-protocol.ts';

const ENTRY = new URL('./prep-worker.ts', import.meta.url);

interface Slot {
  worker: Worker;
  jobs: Map<number, { resolve(image: PreparedImage | ImagePixels): void; reject(error: unknown): void }>;
}

export class PrepPool {
  private readonly slots = new Set<Slot>();
  private nextId = 0;
  private closing = false;
  private started: Promise<unknown> | undefined;

  /** @param workers started by start() or the first job */
  constructor(private readonly workers: number) {}

  /** Starts the workers now, if not yet (their start takes seconds). */
  start(): Promise<unknown> {
    return (this.started ??= Promise.all(Array.from({ length: this.workers }, () => this.spawn())));
  }

  /** @param bytes the encoded image, owned by the pool from now on (its buffer moves to a worker) */
  prepare(bytes: Uint8Array, options: { whiten: boolean }): Promise<PreparedImage> {
    return this.job(bytes, { as: 'gray', ...options }) as Promise<PreparedImage>;
  }

  /** The 8-bit RGB pixels of an encoded image (for an image model). */
  pixels(bytes: Uint8Array): Promise<ImagePixels> {
    return this.job(bytes, { as: 'pixels', whiten: false }) as Promise<ImagePixels>;
  }

  private async job(bytes: Uint8Array, options: Omit<PrepJob, 'id' | 'bytes'>): Promise<PreparedImage | ImagePixels> {
    await this.start();
    let slot: Slot | undefined;
    for (const s of this.slots) if (!slot || s.jobs.size < slot.jobs.size) slot = s;
    if (!slot) throw new Error('no image preparation worker');
    const chosen = slot;
    return new Promise((resolve, reject) => {
      const job: PrepJob = { id: this.nextId++, bytes, ...options };
      chosen.jobs.set(job.id, { resolve, reject });
      chosen.worker.postMessage(job, [bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.started?.catch(() => undefined);
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
    this.slots.clear();
  }

  private async spawn(): Promise<void> {
    const worker = startTsWorker(ENTRY, null);
    await nextMessage<PrepMessage>(worker, 'image preparation worker');
    const slot: Slot = { worker, jobs: new Map() };
    this.slots.add(slot);
    worker.on('message', (message: PrepMessage) => {
      if (message.type === 'ready') return;
      const job = slot.jobs.get(message.id);
      if (!job) return;
      slot.jobs.delete(message.id);
      if (message.type === 'done') job.resolve(message.image);
      else job.reject(message.userError ? new UserError(message.message) : new Error(message.message));
    });
    worker.on('exit', () => {
      this.slots.delete(slot);
      for (const job of slot.jobs.values())
        job.reject(new HttpError(500, 'the image preparation worker stopped unexpectedly; retry the request'));
      if (!this.closing) this.spawn().catch(() => undefined);
    });
  }
}
