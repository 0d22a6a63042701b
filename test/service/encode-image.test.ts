/**
 * `POST /v1/encode-image` on a real exported encoder: the numbers equal the library's
 * `encode --data images:` on the same file (PNG and JPEG), per window and per pixel, and `whitened`
 * equals core's whitening of the file; bad images are one
 * JSON 4xx each (a huge declared size a 413 before decoding) and the service stays up.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageFile } from '@entropy-sc/core/data/image-file';
import { whitenImage } from '@entropy-sc/core/data/whiten';
import { parseNpyBytes } from '@entropy-sc/core/npy/read';
import { encodeImages } from '@entropy-sc/inference/encode-images';
import { windowOrigins } from '@entropy-sc/inference/image-patches';
import { loadEncoder, type OnnxEncoderModel } from '@entropy-sc/inference/model';
import { readNpy } from '../../src/npy/read.ts';
import { windowCount } from '../../service/image-request.ts';
import { startService, type RunningService } from '../../service/serve.ts';
import { encodePng } from '../core/png-writer.ts';
import { tempDir } from '../helpers/cli.ts';
import { post } from './fake-service.ts';

const MODEL = new URL('./fixtures/tiny-lowrank.onnx', import.meta.url).pathname;
const dir = tempDir('entropy-sc-encode-image-');
let service: RunningService;
let library: OnnxEncoderModel;

/** A 70×45 crop of the shipped camera image, as an 8-bit gray PNG and an RGB JPEG. */
function testImages(): { png: string; jpg: string } {
  const camera = readImageFile(new URL('../../data/natural-images/camera.png', import.meta.url).pathname);
  const [w, h] = [70, 45];
  const gray = Array.from({ length: w * h }, (_, k) =>
    Math.round(255 * camera.pixels[(100 + Math.floor(k / w)) * camera.width + 200 + (k % w)]!),
  );
  const png = join(dir, 'crop.png');
  writeFileSync(png, encodePng(w, h, 0, 8, gray));
  const rgba = new Uint8Array(w * h * 4);
  for (let k = 0; k < w * h; k++) rgba.set([gray[k]!, (gray[k]! * 3) % 256, 255 - gray[k]!, 255], 4 * k);
  const jpg = join(dir, 'crop.jpg');
  writeFileSync(jpg, jpeg.encode({ data: rgba, width: w, height: h }, 90).data);
  return { png, jpg };
}

beforeAll(async () => {
  [service, library] = await Promise.all([
    startService({
      modelPath: MODEL,
      port: 0,
      pool: { workers: 1, threadsPerWorker: 1 },
      limits: { maxRowsPerRequest: 2000 },
    }),
    loadEncoder(MODEL, { intraOpThreads: 1 }),
  ]);
});
afterAll(async () => {
  await service?.close();
  await library?.close();
});

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < actual.length; i++)
    if (Math.abs(actual[i]! - expected[i]!) > 1e-5 * (1 + Math.abs(expected[i]!)))
      expect.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

describe('POST /v1/encode-image', () => {
  const images = testImages();
  for (const [kind, file] of Object.entries(images))
    it(`answers a ${kind.toUpperCase()} with the numbers of encode --data images: on the same file`, async () => {
      const type = kind === 'png' ? 'image/png' : 'image/jpeg';
      const r = await post(`${service.url}/v1/encode-image`, readFileSync(file), type);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/x-npz');
      const members = unzipSync(new Uint8Array(r.bytes));
      expect(Object.keys(members)).toEqual(
        ['mean', 'variance', 'elbo', 'reconstruction', 'whitened', 'cov_factor', 'cov_diag', 'covariance'].map(
          (n) => `${n}.npy`,
        ),
      );
      const got = (name: string) => parseNpyBytes(members[`${name}.npy`]!, name);

      const out = join(dir, `enc-${kind}`);
      const outputs = ['mean', 'variance', 'elbo', 'reconstruction', 'whitened', 'cov_factor'] as const;
      const [encoded] = await encodeImages(library, file, out, { outputs });
      const layout = JSON.parse(readFileSync(join(out, 'images.json'), 'utf8')).images[0] as {
        tops: number[];
        lefts: number[];
      };
      const [rows, cols] = [layout.tops.length, layout.lefts.length];
      for (const name of ['mean', 'variance', 'elbo', 'cov_factor']) {
        const expected = await readNpy(join(encoded!.folder, `${name}.npy`));
        expect(got(name).shape, name).toEqual([rows, cols, ...expected.shape.slice(1)]);
        close(got(name).data, expected.data, name);
      }
      for (const name of ['reconstruction', 'whitened']) {
        const expected = await readNpy(join(encoded!.folder, `${name}.npy`));
        expect(got(name).shape, name).toEqual(expected.shape);
        close(got(name).data, expected.data, name);
      }
      // The image as the model saw it: core's whitening of the file, whole.
      const whitened = whitenImage(readImageFile(file));
      expect(got('whitened').shape).toEqual([whitened.height, whitened.width]);
      close(got('whitened').data, whitened.pixels, 'whitened');
    });

  it('answers JSON with Accept: application/json, only the ?outputs= asked for, nested without a batch axis', async () => {
    const r = await post(
      `${service.url}/v1/encode-image?outputs=whitened,elbo`,
      readFileSync(images.png),
      'image/png',
      {
        accept: 'application/json',
      },
    );
    expect(r.status).toBe(200);
    const body = r.json() as { elbo: number[][]; whitened: number[][] };
    expect(Object.keys(body)).toEqual(['elbo', 'whitened']);
    const whitened = whitenImage(readImageFile(images.png));
    expect([body.whitened.length, body.whitened[0]!.length]).toEqual([whitened.height, whitened.width]);
    // 45×70 whitened whole; windows at 0, 2, …, and the last flush with the edge
    expect([body.elbo.length, body.elbo[0]!.length]).toEqual([22, 34]);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^entropy_sc_model_images_encoded_total\{model="tiny-lowrank"\} 3$/m);
  });

  const onePixel = encodePng(1, 1, 0, 8, [7]);
  const huge = Buffer.from(encodePng(5, 5, 0, 8, new Array(25).fill(9)));
  huge.writeUInt32BE(30000, 16);
  huge.writeUInt32BE(30000, 20);
  const png = readFileSync(images.png);
  const bad: { what: string; body: Uint8Array; type?: string; query?: string; status: number; says: RegExp }[] = [
    { what: 'a truncated PNG', body: png.subarray(0, png.length >> 1), status: 400, says: /cannot decode PNG/ },
    {
      what: 'a text file sent as image/png',
      body: Buffer.from('hello, world\n'),
      status: 400,
      says: /not a PNG image/,
    },
    {
      what: 'a JPEG sent as image/png',
      body: readFileSync(images.jpg),
      status: 400,
      says: /does not start with PNG's signature/,
    },
    {
      what: 'a 16-bit PNG',
      body: encodePng(8, 8, 0, 16, new Array(64).fill(40000)),
      status: 400,
      says: /16-bit samples; send an 8-bit PNG/,
    },
    {
      what: 'an image smaller than the window',
      body: onePixel,
      status: 400,
      says: /1×1, smaller than the model's 4×4 window/,
    },
    {
      what: 'a huge declared size',
      body: huge,
      status: 413,
      says: /30000×30000 image has \d+ windows .* more than the limit of 2000/,
    },
    { what: 'no image type', body: png, type: 'text/plain', status: 415, says: /Content-Type/ },
    { what: 'an unknown output', body: png, query: '?outputs=mean,nope', status: 400, says: /unknown output 'nope'/ },
    { what: 'an unknown model', body: png, query: '?model=nope', status: 404, says: /unknown model 'nope'/ },
  ];
  for (const b of bad)
    it(`answers ${b.what} with ${b.status} and one JSON error`, async () => {
      const r = await post(`${service.url}/v1/encode-image${b.query ?? ''}`, b.body, b.type ?? 'image/png');
      expect(r.status).toBe(b.status);
      expect(Object.keys(r.json())).toEqual(['error']);
      expect(r.json().error).toMatch(b.says);
    });

  it('is still up and right after all of them', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const r = await post(`${service.url}/v1/encode-image?outputs=elbo`, readFileSync(images.png), 'image/png');
    expect(r.status).toBe(200);
    expect(parseNpyBytes(r.bytes, 'elbo').shape).toEqual([22, 34]);
  });
});

describe('windowCount', () => {
  it('counts the origins windowOrigins lists, for sizes, windows and strides around the edge cases', () => {
    for (const p of [1, 4, 16])
      for (const stride of [1, 2, 3, 8, p])
        for (let size = p; size < p + 40; size++)
          expect(windowCount(size, p, stride), `${size} ${p} ${stride}`).toBe(windowOrigins(size, p, stride).length);
  });
});
