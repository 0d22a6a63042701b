/**
 * Graceful shutdown on SIGTERM/SIGINT: close the service (in-flight requests finish), within a
 * bounded time after which connections are dropped.
 */
import type { RunningService } from './serve.ts';

export type ShutdownResult = { signal: NodeJS.Signals; clean: boolean };

/** Resolves once a signal came and the service is closed (clean: within `graceMs`). */
export function closeOnSignal(service: RunningService, graceMs: number): Promise<ShutdownResult> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      service.app.log.info({ signal }, 'shutting down: readiness false, finishing in-flight requests');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((done) => {
        timer = setTimeout(() => done(false), graceMs);
      });
      void Promise.race([service.close().then(() => true as const), late]).then(async (clean) => {
        clearTimeout(timer);
        if (!clean) await service.abort();
        resolve({ signal, clean });
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
