/**
 * The service under load from this (second) process, loopback only, bounded in time: the
 * library's own encode throughput (same outputs, same machine, same run), and `entropy-sc serve`
 * as a child process under autocannon: 64 concurrent clients × 16 rows (OIP binary and /v1 .npy),
 * single-row requests, and an overload past the queue limit (503s, peak RSS).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { formatNpyHeader } from '@entropy-sc/core/npy/header';
import { loadModel } from '@entropy-sc/inference/model';

const OUTPUTS = 'mean,variance';
const BIN = join(import.meta.dirname, '../bin/entropy-sc.js');
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
  /** responses per status code */
  statuses: Record<string, number>;
  errors: number;
}

export interface ServiceBench {
  d: number;
  /** the mean of the library's rate before and after the service runs */
  libraryRowsPerSecond: number;
  libraryRange: [number, number];
  pool: string;
  runs: LoadRun[];
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
  const x = Float32Array.from({ length: rows * d }, (_, i) => Math.sin(0.1 * i));
  const data = Buffer.from(x.buffer);
  if (protocol === 'npy')
    return {
      path: `/v1/encode?outputs=${OUTPUTS}`,
      headers: { 'content-type': 'application/x-npy' },
      body: Buffer.concat([formatNpyHeader({ dtype: 'float32', shape: [rows, d] }), data]),
    };
  const json = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, d], parameters: { binary_data_size: data.length } }],
      outputs: OUTPUTS.split(',').map((o) => ({ name: o, parameters: { binary_data: true } })),
    }),
  );
  return {
    path: `/v2/models/${name}/infer`,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
    body: Buffer.concat([json, data]),
  };
}

interface Server {
  child: ChildProcess;
  url: string;
  pool: string;
  name: string;
  d: number;
}

async function startServer(modelPath: string): Promise<Server> {
  const args = [
    'serve',
    '--model',
    modelPath,
    '--port',
    '0',
    '--log-level',
    'warn',
    '--max-queue-rows',
    String(QUEUE_ROWS),
  ];
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const { url, pool } = await new Promise<{ url: string; pool: string }>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /on (http:\/\/\S+) with (.*)\n/.exec(stderr);
      if (match) resolve({ url: match[1]!, pool: match[2]! });
    });
    child.once('exit', (code) => reject(new Error(`entropy-sc serve exited (${code}): ${stderr}`)));
  });
  const card = (await (await fetch(`${url}/v1/model`)).json()) as { name: string; d: number };
  return { child, url, pool, name: card.name, d: card.d };
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
): Promise<LoadRun> {
  const { url } = server;
  const { path, headers, body } = request(protocol, server.name, rowsPerRequest, server.d);
  const label = `${connections} clients × ${rowsPerRequest} row${rowsPerRequest === 1 ? '' : 's'}, ${protocol === 'oip' ? 'OIP binary' : '/v1/encode .npy'}`;
  const options = { url: url + path, method: 'POST' as const, headers, body, connections };
  if (warmUp) await autocannon({ ...options, duration: 1 });
  await drained(url);
  const result = await autocannon({ ...options, duration: seconds });
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
  };
}

/** Peak resident memory of a process and its descendants (Linux: the bin's supervisor and the service), MiB. */
function peakRss(pid: number): number {
  const own = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  return children.reduce((sum, child) => sum + peakRss(child), own);
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
): Promise<Pick<ServiceBench, 'pool' | 'runs' | 'peakRssMiB' | 'aliveAfterOverload'>> {
  const server = await startServer(modelPath);
  try {
    const runs = [
      await load(server, 'oip', 64, 16, seconds),
      await load(server, 'npy', 64, 16, seconds),
      await load(server, 'oip', 64, 1, seconds),
      {
        ...(await load(server, 'oip', 256, 64, seconds, false)),
        label: `overload: 256 clients × 64 rows, OIP binary (queue limit ${QUEUE_ROWS} rows)`,
      },
    ];
    const aliveAfterOverload = (await fetch(`${server.url}/healthz`)).status === 200;
    return { pool: server.pool, runs, peakRssMiB: peakRss(server.child.pid!), aliveAfterOverload };
  } finally {
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;
  }
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
        `| ${r.label} | ${r.rowsPerSecond.toFixed(0)} | ${(r.rowsPerSecond / bench.libraryRowsPerSecond).toFixed(2)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.statuses['200'] ?? 0} | ${r.statuses['503'] ?? 0} | ${count(r, (c) => c >= 500 && c !== 503)} | ${r.errors} |`,
    ),
    '',
    `Peak RSS of the service (its process with the encode workers, plus the bin's supervisor process): ${bench.peakRssMiB.toFixed(0)} MiB; after the overload /healthz answered ${bench.aliveAfterOverload ? '200' : 'NOT 200'}.`,
  ];
}
