/**
 * `entropy-sc serve` (cli.md): the HTTP service for an exported encoder — /v1/encode, the Open
 * Inference Protocol (KServe v2 / Triton REST), /metrics — on worker threads with micro-batching.
 * Runs until SIGTERM or SIGINT, then finishes the requests in flight and exits 0.
 */
import { Command, Option } from 'commander';
import { PROVIDER_CHOICES } from '@entropy-sc/inference/providers';
import { UserError } from '@entropy-sc/core/errors';
import { nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber } from '../parse.ts';

interface ServeFlags {
  model?: string;
  models?: string;
  host: string;
  port: number;
  provider: string;
  tokenFile?: string;
  insecure: boolean;
  workers?: number;
  threads?: number;
  maxBatchRows: number;
  maxDelayMs: number;
  maxQueueRows: number;
  maxRows?: number;
  bodyLimitMb: number;
  timeoutMs: number;
  shutdownTimeoutMs?: number;
  logLevel: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve an exported encoder over HTTP: POST /v1/encode (JSON or .npy), the Open Inference Protocol (/v2), /healthz, /metrics',
    )
    .option('--model <MODEL.onnx>', 'exported encoder (default: the shipped models/default.onnx)')
    .option(
      '--models <REPO>',
      'every model of a Triton-layout repository (REPO/<name>/config.pbtxt, REPO/<name>/<version>/model.onnx: what export --triton writes; the highest version served)',
    )
    .option('--host <address>', 'address to listen on (a non-loopback one needs a token or --insecure)', '127.0.0.1')
    .option('--port <port>', 'port (0: any free one)', nonNegativeInt, 8080)
    .addOption(
      new Option('--provider <name>', 'onnxruntime execution provider').choices(PROVIDER_CHOICES).default('cpu'),
    )
    .option(
      '--token-file <F>',
      'require Authorization: Bearer <the token in F> on every endpoint but health (else ENTROPY_SC_TOKEN, if set)',
    )
    .option('--insecure', 'allow a non-loopback --host without a token', false)
    .option('--workers <n>', 'encode worker threads (default: one per core)', positiveInt)
    .option(
      '--threads <n>',
      'onnxruntime threads per worker (default: cores / workers); workers × threads ≤ cores',
      positiveInt,
    )
    .option('--max-batch-rows <n>', 'rows a batch of concurrent requests grows to', positiveInt, 1024)
    .option(
      '--max-delay-ms <ms>',
      'longest a request waits for others to batch with while a worker is free',
      nonNegativeNumber,
      1,
    )
    .option('--max-queue-rows <n>', 'rows that may wait for a worker; beyond, 503 with Retry-After', positiveInt, 16384)
    .option('--max-rows <n>', 'rows per request, 413 beyond (default: 16384 or --max-queue-rows if lower)', positiveInt)
    .option('--body-limit-mb <MiB>', 'largest request body (413 beyond)', positiveNumber, 64)
    .option('--timeout-ms <ms>', 'a request not answered within this gets a 504', positiveInt, 20_000)
    .option(
      '--shutdown-timeout-ms <ms>',
      "after SIGTERM or SIGINT, longest wait for in-flight requests (default: --timeout-ms + 5 s; the bin's supervisor kills at 30 s)",
      positiveInt,
    )
    .addOption(
      new Option('--log-level <level>', 'JSON log lines on stdout')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .action(async (flags: ServeFlags) => {
      const { loadToken } = await import('@entropy-sc/service/auth');
      const { startService } = await import('@entropy-sc/service/serve');
      const { closeOnSignal } = await import('@entropy-sc/service/shutdown');
      const { defaultModelPath } = await import('@entropy-sc/inference/default-model');
      const { scanRepository } = await import('@entropy-sc/service/repository/model-sources');
      if (flags.model !== undefined && flags.models !== undefined)
        throw new UserError('give --model or --models, not both');
      const service = await startService({
        modelPath: flags.model ?? defaultModelPath,
        models: flags.models === undefined ? undefined : await scanRepository(flags.models),
        host: flags.host,
        port: flags.port,
        provider: flags.provider,
        token: await loadToken(flags.tokenFile),
        insecure: flags.insecure,
        pool: { workers: flags.workers, threadsPerWorker: flags.threads },
        limits: {
          maxBatchRows: flags.maxBatchRows,
          maxQueueDelayMs: flags.maxDelayMs,
          maxQueueRows: flags.maxQueueRows,
          maxRowsPerRequest: flags.maxRows ?? Math.min(16384, flags.maxQueueRows),
          bodyLimitBytes: Math.round(flags.bodyLimitMb * 1024 * 1024),
          timeoutMs: flags.timeoutMs,
        },
        logger: { level: flags.logLevel },
      });
      const { size } = service;
      const served = service.models.list.map(
        ({ name, info }) => `'${name}' (D=${info.d}, H=${info.h}; ${info.outputs.join(', ')})`,
      );
      process.stderr.write(
        `entropy-sc: serving model${served.length === 1 ? '' : 's'} ${served.join(', ')} on ${service.url} ` +
          `with ${size.workers} worker${size.workers === 1 ? '' : 's'} × ${size.threadsPerWorker} thread${size.threadsPerWorker === 1 ? '' : 's'}${served.length === 1 ? '' : ' per model'}\n`,
      );
      const graceMs = flags.shutdownTimeoutMs ?? flags.timeoutMs + 5000;
      const { clean } = await closeOnSignal(service, graceMs);
      if (!clean)
        throw new UserError(
          `in-flight requests did not finish within ${graceMs} ms of the signal; their connections were closed`,
        );
    });
}
