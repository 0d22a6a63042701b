/** Starting the service on the stand-in encode worker (no onnxruntime), on a free loopback port. */
import { startService, type RunningService, type ServeOptions } from '../../service/serve.ts';

export const FAKE_WORKER = new URL('./fixtures/fake-encode-worker.ts', import.meta.url);

export function startFake(model: string, options: Partial<ServeOptions> = {}): Promise<RunningService> {
  return startService({
    modelPath: model,
    port: 0,
    workerEntry: FAKE_WORKER,
    pool: { workers: 1, threadsPerWorker: 1 },
    ...options,
  });
}

export async function post(
  url: string,
  body: string | Uint8Array,
  type = 'application/json',
  headers: Record<string, string> = {},
) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    headers: response.headers,
    bytes,
    json: () => JSON.parse(bytes.toString('utf8')) as Record<string, unknown>,
  };
}
