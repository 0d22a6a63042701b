/**
 * Starts a worker thread on a TypeScript module. Node 20 ignores loader hooks given to a worker
 * through execArgv (nodejs/node#47747), so a small ES module registers tsx's ESM API inside the
 * worker first, by resolved URL (as training/parallel/ does), whatever loaded the main thread.
 */
import { Worker } from 'node:worker_threads';

export function spawnTsWorker(entry: URL, workerData: unknown): Worker {
  const bootstrap = [
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};`,
    'register();',
    `await import(${JSON.stringify(entry.href)});`,
  ].join('\n');
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { workerData });
}
