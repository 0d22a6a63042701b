/**
 * Entry of an image preparation worker: decodes a PNG or JPEG, prepares it as the card prescribes
 * (gray, whitening) and cuts its windows, exactly as `encode --data images:` does, off the event
 * loop (whitening a 512×512 image takes about 150 ms).
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '@entropy-sc/core/errors';
import { decodeImage } from '@entropy-sc/core/data/image-file';
import { whitenImage } from '@entropy-sc/core/data/whiten';
import { cutPatches } from '@entropy-sc/inference/image-patches';
import type { PrepJob, PrepMessage } from './prep-protocol.ts';

const port = parentPort!;
const send = (message: PrepMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

port.on('message', (job: PrepJob) => {
  try {
    const gray = decodeImage(job.bytes, 'the image');
    const image = job.whiten ? whitenImage(gray) : gray;
    const { tops, lefts, x } = cutPatches(image, job.patch, job.stride);
    const pixels = Float32Array.from(image.pixels);
    send({ type: 'done', id: job.id, image: { width: image.width, height: image.height, pixels, tops, lefts, x } }, [
      pixels.buffer,
      x.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    send({
      type: 'error',
      id: job.id,
      message: error instanceof Error ? error.message : String(error),
      userError: error instanceof UserError,
    });
  }
});
send({ type: 'ready' });
