/**
 * The service under load from this (second) process, loopback only, bounded in time: the
 * library's own encode throughput (same outputs, same machine, same run), and `entropy-sc serve`
 * as a child process under autocannon: 64 concurrent clients × 16 rows (OIP binary and /v1 .npy),
 * single-row requests, and an overload past the queue limit (503s, peak RSS); and 64 concurrent gRPC
 * clients × 16 rows (ModelInfer, raw contents) against the same server; and gRPC against OIP binary
 * on the pinned one-core layout (the service on core 0, the load generators on core 1), as a ratio.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { status } from '@grpc/grpc-js';
import autocannon from 'autocannon';
import { formatNpyHeader } from '@entropy-sc/core/npy/header';
import { loadModel } from '@entropy-sc/inference/model';
import { inferenceService } from '@entropy-sc/service/grpc/protocol';
import { oipBinaryRequest, startServeChild, stopServeChild } from './serve-child.ts';

const OUTPUTS = 'mean,variance';
/** The service's queue limit in this bench: 64 × 16 rows fit, the overload run asks 4× as much. */
const QUEUE_ROWS = 4096;

export interface LoadRun {
  label: string;
  connections: number;
  rowsPerRequest: number;
  /** rows answered with 200, per second */
  rowsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** responses per status code (HTTP's, or gRPC's by name) */
  statuses: Record<string, number>;
  errors: number;
  /** CPU time of the service (all its threads) during the measured run, ms; pinned runs only */
  serviceCpuMs?: number;
}

export interface ServiceBench {
  d: number;
  /** the mean of the library's rate before and after the service runs */
  libraryRowsPerSecond: number;
  libraryRange: [number, number];
  pool: string;
  runs: LoadRun[];
  /**
   * gRPC's rows/s over OIP binary HTTP's, both 64 clients × 16 rows, on the pinned layout where
   * Linux and two cores allow it (else on the shared cores of the other runs)
   */
  grpcOverHttp: number;
  /** the pinned comparison's runs of each protocol; none where it could not be pinned */
  pinned?: { http: LoadRun[]; grpc: LoadRun[] };
  peakRssMiB: number;
  aliveAfterOverload: boolean;
}

/** The library alone: encode() of 1024-row batches with its default threads, for `seconds`. */
async function libraryRate(modelPath: string, seconds: number): Promise<{ d: number; rowsPerSecond: number }> {
  const model = await loadModel(modelPath);
  try {
    const rows = 1024;
    const x = Float32Array.from({ length: rows * model.d }, (_, i) => Math.sin(i));
    const outputs = OUTPUTS.split(',') as ('mean' | 'variance')[];
    await model.encode(x, rows, outputs);
    let done = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000 && done < 4000) {
      await model.encode(x, rows, outputs);
      done++;
    }
    return { d: model.d, rowsPerSecond: (done * rows) / ((performance.now() - start) / 1000) };
  } finally {
    await model.close();
  }
}

type Protocol = 'oip' | 'npy';

/** The request of `rows` rows: an OIP infer request with binary input and outputs, or a /v1/encode .npy body. */
function request(
  protocol: Protocol,
  name: string,
  rows: number,
  d: number,
): { path: string; headers: Record<string, string>; body: Buffer } {
  if (protocol === 'npy') {
    const x = Float32Array.from({ length: rows * d }, (_, i) => Math.sin(0.1 * i));
    return {
      path: `/v1/encode?outputs=${OUTPUTS}`,
      headers: { 'content-type': 'application/x-npy' },
      body: Buffer.concat([formatNpyHeader({ dtype: 'float32', shape: [rows, d] }), Buffer.from(x.buffer)]),
    };
  }
  return oipBinaryRequest(name, rows, d, OUTPUTS);
}

interface Server {
  child: ChildProcess;
  url: string;
  /** host:port of its gRPC server */
  grpc: string;
  pool: string;
  name: string;
  d: number;
}

/** A free loopback port (the CLI's --grpc-port 0 means no gRPC). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** @param cores taskset's core list for the service (and its workers) */
async function startServer(modelPath: string, args: string[] = [], cores?: string): Promise<Server> {
  const grpcPort = await freePort();
  const { child, url, pool } = await startServeChild(
    modelPath,
    ['--grpc-port', String(grpcPort), '--max-queue-rows', String(QUEUE_ROWS), ...args],
    cores,
  );
  const card = (await (await fetch(`${url}/v1/model`)).json()) as { name: string; d: number };
  return { child, url, grpc: `127.0.0.1:${grpcPort}`, pool, name: card.name, d: card.d };
}

/** Waits (at most 10 s) until nothing is queued: each run starts from an idle service. */
async function drained(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    if (/^entropy_sc_queue_rows 0$/m.test(metrics)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One autocannon run after a 1 s warm-up (none for the overload, which would only fill the queue). */
async function load(
  server: Server,
  protocol: Protocol,
  connections: number,
  rowsPerRequest: number,
  seconds: number,
  warmUp = true,
  cpu?: () => number,
): Promise<LoadRun> {
  const { url } = server;
  const { path, headers, body } = request(protocol, server.name, rowsPerRequest, server.d);
  const label = `${connections} clients × ${rowsPerRequest} row${rowsPerRequest === 1 ? '' : 's'}, ${protocol === 'oip' ? 'OIP binary' : '/v1/encode .npy'}`;
  const options = { url: url + path, method: 'POST' as const, headers, body, connections };
  if (warmUp) await autocannon({ ...options, duration: 1 });
  await drained(url);
  const cpuBefore = cpu?.();
  const result = await autocannon({ ...options, duration: seconds });
  const serviceCpuMs = cpu && cpu() - cpuBefore!;
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = Number(count);
  return {
    label,
    connections,
    rowsPerRequest,
    rowsPerSecond: ((statuses['200'] ?? 0) * rowsPerRequest) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    statuses,
    errors: result.errors,
    serviceCpuMs,
  };
}

/**
 * `connections` gRPC clients, each on an HTTP/2 connection of its own, each calling ModelInfer
 * (raw input and output contents) with `rowsPerRequest` rows as soon as its last call was
 * answered, for `seconds` after a 1 s warm-up. Like autocannon for HTTP (and h2load or ghz for
 * gRPC), the load generator is lean: the same framed request bytes each time, the answer read to
 * its grpc-status but not decoded, so that the client's work takes little of the shared cores.
 */
async function grpcLoad(
  server: Server,
  connections: number,
  rowsPerRequest: number,
  seconds: number,
  cpu?: () => number,
): Promise<LoadRun> {
  const x = Float32Array.from({ length: rowsPerRequest * server.d }, (_, i) => Math.sin(0.1 * i));
  const message = inferenceService().ModelInfer!.requestSerialize({
    model_name: server.name,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [rowsPerRequest, server.d] }],
    outputs: OUTPUTS.split(',').map((name) => ({ name })),
    raw_input_contents: [Buffer.from(x.buffer)],
  });
  // gRPC's length-prefixed message: a compression flag (0) and the length, big-endian.
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  const sessions = Array.from({ length: connections }, () => connect(`http://${server.grpc}`));
  const call = (session: ClientHttp2Session) =>
    new Promise<string>((resolve) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/inference.GRPCInferenceService/ModelInfer',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let code: string | undefined;
      const read = (headers: Record<string, unknown>) => {
        if (headers['grpc-status'] !== undefined) code = status[Number(headers['grpc-status'])] ?? 'UNKNOWN';
      };
      stream.on('response', read);
      stream.on('trailers', read);
      stream.on('data', () => {});
      stream.on('close', () => resolve(code ?? 'NO_STATUS'));
      stream.end(frame);
    });
  const run = async (ms: number, record: boolean) => {
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    const end = performance.now() + ms;
    await Promise.all(
      sessions.map(async (session) => {
        while (performance.now() < end) {
          const start = performance.now();
          const code = await call(session);
          if (!record) continue;
          latencies.push(performance.now() - start);
          statuses[code] = (statuses[code] ?? 0) + 1;
        }
      }),
    );
    return { latencies: latencies.sort((a, b) => a - b), statuses };
  };
  try {
    await run(1000, false);
    await drained(server.url);
    const cpuBefore = cpu?.();
    const start = performance.now();
    const { latencies, statuses } = await run(seconds * 1000, true);
    const duration = (performance.now() - start) / 1000;
    const serviceCpuMs = cpu && cpu() - cpuBefore!;
    const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    return {
      label: `${connections} clients × ${rowsPerRequest} rows, gRPC ModelInfer (raw contents)`,
      connections,
      rowsPerRequest,
      rowsPerSecond: ((statuses.OK ?? 0) * rowsPerRequest) / duration,
      p50Ms: quantile(0.5),
      p99Ms: quantile(0.99),
      statuses,
      errors: Object.entries(statuses)
        .filter(([code]) => code !== 'OK' && code !== 'RESOURCE_EXHAUSTED')
        .reduce((sum, [, n]) => sum + n, 0),
      serviceCpuMs,
    };
  } finally {
    for (const session of sessions) session.close();
  }
}

const rate = (runs: LoadRun[]) => runs.reduce((sum, run) => sum + run.rowsPerSecond, 0);

/** This process's cores (taskset's list), or undefined where taskset is not available. */
function ownCores(): string | undefined {
  try {
    return execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' })
      .split(': ')[1]
      ?.trim();
  } catch {
    return undefined;
  }
}

const pin = (cores: string) =>
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' });

/**
 * gRPC against OIP binary on the pinned one-core layout: the service alone on core 0 (one worker,
 * one onnxruntime thread), this process with both load generators on core 1, so that the ratio is
 * the service's cost per row on each protocol and not its load generator's (node:http2 costs
 * several times autocannon's CPU per call). HTTP and gRPC alternate twice, each after its warm-up.
 */
async function pinnedComparison(modelPath: string, seconds: number): Promise<ServiceBench['pinned']> {
  const cores = availableParallelism() >= 2 ? ownCores() : undefined;
  if (cores === undefined) return undefined;
  const server = await startServer(modelPath, ['--workers', '1', '--threads', '1'], '0');
  pin('1');
  try {
    const http: LoadRun[] = [];
    const grpc: LoadRun[] = [];
    const cpu = () => cpuMs(server.child.pid!);
    for (let i = 0; i < 2; i++) {
      http.push(await load(server, 'oip', 64, 16, seconds, true, cpu));
      grpc.push(await grpcLoad(server, 64, 16, seconds, cpu));
    }
    return { http, grpc };
  } finally {
    pin(cores);
    await stopServeChild(server.child);
  }
}

/** CPU time a process and its descendants have used (Linux: utime and stime of /proc/PID/stat), ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime, in clock ticks of 10 ms on Linux
  const own = (Number(fields[11]) + Number(fields[12])) * 10;
  return childrenOf(pid).reduce((sum, child) => sum + cpuMs(child), own);
}

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Peak resident memory of a process and its descendants (Linux: the bin's supervisor and the service), MiB. */
function peakRss(pid: number): number {
  const own = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  return childrenOf(pid).reduce((sum, child) => sum + peakRss(child), own);
}

/**
 * The library's rate is measured before and after the service (the mean is the baseline), so that
 * a change in the machine's load during the bench shows as a difference between the two.
 */
export async function measureService(modelPath: string, seconds = 6): Promise<ServiceBench> {
  const before = await libraryRate(modelPath, seconds / 2);
  const service = await serviceRuns(modelPath, seconds);
  const after = await libraryRate(modelPath, seconds / 2);
  process.stderr.write(
    `library encode: ${before.rowsPerSecond.toFixed(0)} rows/s before the service runs, ${after.rowsPerSecond.toFixed(0)} after\n`,
  );
  return {
    d: before.d,
    libraryRowsPerSecond: (before.rowsPerSecond + after.rowsPerSecond) / 2,
    libraryRange: [before.rowsPerSecond, after.rowsPerSecond],
    ...service,
  };
}

async function serviceRuns(
  modelPath: string,
  seconds: number,
): Promise<Pick<ServiceBench, 'pool' | 'runs' | 'grpcOverHttp' | 'pinned' | 'peakRssMiB' | 'aliveAfterOverload'>> {
  const pinned = await pinnedComparison(modelPath, seconds);
  const server = await startServer(modelPath);
  try {
    const http = await load(server, 'oip', 64, 16, seconds);
    const grpc = await grpcLoad(server, 64, 16, seconds);
    const runs = [
      http,
      grpc,
      await load(server, 'npy', 64, 16, seconds),
      await load(server, 'oip', 64, 1, seconds),
      {
        ...(await load(server, 'oip', 256, 64, seconds, false)),
        label: `overload: 256 clients × 64 rows, OIP binary (queue limit ${QUEUE_ROWS} rows)`,
      },
    ];
    const aliveAfterOverload = (await fetch(`${server.url}/healthz`)).status === 200;
    return {
      pool: server.pool,
      runs,
      grpcOverHttp: pinned ? rate(pinned.grpc) / rate(pinned.http) : grpc.rowsPerSecond / http.rowsPerSecond,
      pinned,
      peakRssMiB: peakRss(server.child.pid!),
      aliveAfterOverload,
    };
  } finally {
    await stopServeChild(server.child);
  }
}

function pinnedText(pinned: ServiceBench['pinned']): string {
  if (!pinned) return ' (on the shared cores of the rows above: no taskset or a single core)';
  const runs = (list: LoadRun[]) =>
    list
      .map((r) => `${r.rowsPerSecond.toFixed(0)} (p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms)`)
      .join(' and ');
  const http = serviceCpuPerRow(pinned.http);
  const grpc = serviceCpuPerRow(pinned.grpc);
  return ` on the pinned layout (the service alone on core 0 with 1 worker × 1 thread, both load generators on core 1, the two protocols alternating twice): OIP binary ${runs(pinned.http)} rows/s, gRPC ${runs(pinned.grpc)} rows/s; the service's CPU per row (all its threads, \`/proc\`): OIP binary ${http.toFixed(1)} µs, gRPC ${grpc.toFixed(1)} µs, so gRPC encodes ${(http / grpc).toFixed(2)}× HTTP's rows per core-second`;
}

/** The service's CPU time per row answered over some runs, µs. */
function serviceCpuPerRow(runs: LoadRun[]): number {
  const rows = runs.reduce((sum, r) => sum + (r.statuses['200'] ?? r.statuses.OK ?? 0) * r.rowsPerRequest, 0);
  return (1000 * runs.reduce((sum, r) => sum + r.serviceCpuMs!, 0)) / rows;
}

export function serviceTable(bench: ServiceBench): string[] {
  const count = (r: LoadRun, test: (code: number) => boolean) =>
    Object.entries(r.statuses)
      .filter(([code]) => test(Number(code)))
      .reduce((sum, [, n]) => sum + n, 0);
  return [
    `Service (\`entropy-sc serve\`, ${bench.pool}, outputs ${OUTPUTS}, autocannon in the bench process on the same cores; D=${bench.d}):`,
    `the library alone encodes ${bench.libraryRowsPerSecond.toFixed(0)} rows/s (encode() of 1024-row batches, default threads, same outputs; ${bench.libraryRange.map((r) => r.toFixed(0)).join(' before, ')} after the service runs).`,
    '',
    '| load | rows/s | × library | p50 ms | p99 ms | 200 | 503 | other 5xx | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...bench.runs.map(
      (r) =>
        `| ${r.label} | ${r.rowsPerSecond.toFixed(0)} | ${(r.rowsPerSecond / bench.libraryRowsPerSecond).toFixed(2)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.statuses['200'] ?? r.statuses.OK ?? 0} | ${r.statuses['503'] ?? r.statuses.RESOURCE_EXHAUSTED ?? 0} | ${count(r, (c) => c >= 500 && c !== 503)} | ${r.errors} |`,
    ),
    '',
    `gRPC (64 clients × 16 rows, each on an HTTP/2 connection of its own, a call as soon as its last was answered; node:http2 with the same request bytes each time, the answer read to its grpc-status only) over the OIP binary REST form with the same load: ${bench.grpcOverHttp.toFixed(2)}× the rows/s${pinnedText(bench.pinned)}. For gRPC the 200 column counts OK, the 503 column RESOURCE_EXHAUSTED, errors every other status.`,
    '',
    `Peak RSS of the service (its process with the encode workers, plus the bin's supervisor process): ${bench.peakRssMiB.toFixed(0)} MiB; after the overload /healthz answered ${bench.aliveAfterOverload ? '200' : 'NOT 200'}.`,
  ];
}
