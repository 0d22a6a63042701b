/**
 * A worker thread running a TypeScript module through tsx. Node 20 ignores loader hooks given to a
 * worker as `execArgv: ['--import', 'tsx']` (nodejs/node#47747), so a small ES module registers
 * tsx's ESM API inside the worker first, by resolved URL: this works whatever the working directory
 * and however the main thread loaded TypeScript (bin/entropy-sc.js, vitest).
 */
import { Worker } from 'node:worker_threads';

/**
 * @param module the worker's entry, e.g. `new URL('./refine-worker.ts', import.meta.url)`
 * @param options.unref let the process exit while the worker lives (a pool that may never be closed)
 */
export function startTsWorker(module: URL, workerData: unknown, { unref = false }: { unref?: boolean } = {}): Worker {
  const bootstrap = [
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};`,
    'register();',
    `await import(${JSON.stringify(module.href)});`,
  ].join('\n');
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { workerData });
  if (unref) worker.unref();
  return worker;
}

/**
 * The worker's next message; rejects if the worker fails or exits first.
 * @param name the worker in error messages, e.g. "refinement worker 2"
 */
export function nextMessage<T>(worker: Worker, name: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      worker.off('message', onMessage).off('exit', onExit);
      reject(error);
    };
    const onExit = (code: number) => onError(new Error(`${name} exited (code ${code}) before it answered`));
    const onMessage = (message: T) => {
      worker.off('error', onError).off('exit', onExit);
      resolve(message);
    };
    worker.once('message', onMessage).once('error', onError).once('exit', onExit);
  });
}
