/**
 * Images through `POST /v1/encode-image` (a 512×512 PNG, 8 concurrent clients, `entropy-sc serve` as
 * a child process) against the library's image encoding of the same file in this process (decode,
 * whiten, cut the windows, encode with the default threads), same outputs, same run: images/s,
 * windows/s and their ratio.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServeChild, stopServeChild } from './serve-child.ts';
import autocannon from 'autocannon';
import { decodeImage } from '@entropy-sc/core/data/image-file';
import { whitenImage } from '@entropy-sc/core/data/whiten';
import { cutPatches, modelWhitens, patchSize } from '@entropy-sc/inference/image-patches';
import { loadEncoder } from '@entropy-sc/inference/model';

const IMAGE = join(import.meta.dirname, '../data/natural-images/camera.png');
const OUTPUTS = ['mean', 'variance', 'elbo'] as const;
const CLIENTS = 8;

export interface ServiceImageBench {
  windows: number;
  libraryImagesPerSecond: number;
  serviceImagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
}

async function libraryRate(
  modelPath: string,
  bytes: Buffer,
  seconds: number,
): Promise<{ rate: number; windows: number }> {
  const model = await loadEncoder(modelPath);
  try {
    const p = patchSize(model.card);
    const once = async () => {
      const gray = decodeImage(bytes, 'camera.png');
      const patches = cutPatches(modelWhitens(model.card) ? whitenImage(gray) : gray, p, p / 2);
      const rows = patches.tops.length * patches.lefts.length;
      await model.run(patches.x, rows, OUTPUTS);
      return rows;
    };
    const windows = await once();
    let done = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      await once();
      done++;
    }
    return { rate: done / ((performance.now() - start) / 1000), windows };
  } finally {
    await model.close();
  }
}

export async function measureImageService(modelPath: string, seconds = 8): Promise<ServiceImageBench> {
  const bytes = readFileSync(IMAGE);
  const library = await libraryRate(modelPath, bytes, seconds);
  const { child, url } = await startServeChild(modelPath, []);
  try {
    const options = {
      url: `${url}/v1/encode-image?outputs=${OUTPUTS.join(',')}`,
      method: 'POST' as const,
      headers: { 'content-type': 'image/png' },
      body: bytes,
      connections: CLIENTS,
      // 8 images in flight take seconds each on a small machine: autocannon's 10 s default would cut them.
      timeout: 120,
    };
    await autocannon({ ...options, amount: CLIENTS });
    const result = await autocannon({ ...options, duration: seconds });
    const statuses: Record<string, number> = {};
    for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = Number(count);
    return {
      windows: library.windows,
      libraryImagesPerSecond: library.rate,
      serviceImagesPerSecond: (statuses['200'] ?? 0) / result.duration,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      statuses,
    };
  } finally {
    await stopServeChild(child);
  }
}

export function serviceImageTable(b: ServiceImageBench): string[] {
  const row = (what: string, rate: number, latency: string) =>
    `| ${what} | ${rate.toFixed(2)} | ${(rate * b.windows).toFixed(0)} | ${(rate / b.libraryImagesPerSecond).toFixed(2)} | ${latency} |`;
  return [
    `| camera.png, 512×512, ${b.windows} windows (${OUTPUTS.join(', ')}) | images/s | windows/s | × library | p50 / p99 ms |`,
    '| --- | ---: | ---: | ---: | ---: |',
    row('library: decode, whiten, windows, encode (default threads)', b.libraryImagesPerSecond, '–'),
    row(
      `POST /v1/encode-image, ${CLIENTS} clients (statuses ${JSON.stringify(b.statuses)})`,
      b.serviceImagesPerSecond,
      `${b.p50Ms} / ${b.p99Ms}`,
    ),
  ];
}
