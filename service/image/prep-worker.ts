/**
 * Entry of an image preparation worker, off the event loop: decodes a PNG or JPEG to 8-bit pixels
 * for an image model, or prepares it for a patch model as the card prescribes (gray, whitening),
 * exactly as `encode --data images:` does (whitening a 512×512 image takes about 150 ms here).
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '@entropy-sc/core/errors';
import { decodeImage, decodeImagePixels } from '@entropy-sc/core/data/image-file';
import { whitenImage } from '@entropy-sc/core/data/whiten';
import type { PrepJob, PrepMessage } from './prep-protocol.ts';

const port = parentPort!;
const send = (message: PrepMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

port.on('message', (job: PrepJob) => {
  try {
    if (job.as === 'pixels') {
      const image = decodeImagePixels(job.bytes, 'the image');
      send({ type: 'done', id: job.id, image }, [image.data.buffer as ArrayBuffer]);
      return;
    }
    const gray = decodeImage(job.bytes, 'the image');
    const { width, height, pixels } = job.whiten ? whitenImage(gray) : gray;
    send({ type: 'done', id: job.id, image: { width, height, pixels } }, [pixels.buffer as ArrayBuffer]);
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
