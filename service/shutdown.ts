/**
 * Graceful shutdown on SIGTERM/SIGINT: the service drains (drain.ts) within a bounded time, and
 * says whether every answer in flight reached its client.
 */
import type { RunningService } from './serve.ts';

export type ShutdownResult = { signal: NodeJS.Signals; clean: boolean; lost: number };

/** Resolves once a signal came and the service is closed (clean: every answer delivered within `graceMs`). */
export function closeOnSignal(service: RunningService, graceMs: number): Promise<ShutdownResult> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      service.app.log.info({ signal }, 'shutting down: readiness false, delivering the answers in flight');
      void service.close(graceMs).then(({ delivered, lost }) => resolve({ signal, clean: delivered, lost }));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
