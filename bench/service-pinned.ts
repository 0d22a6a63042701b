/**
 * The service's per-request cost on one core: `entropy-sc serve` pinned to core 0 with one worker
 * and one onnxruntime thread, autocannon (this process) pinned to core 1, and as the baseline a bare
 * one-thread onnxruntime session of the same model on core 0 in the same run. Then the memory row:
 * 16 clients sending maximal requests (every output) that they never read, beside normal load; the
 * service's peak RSS against its memory budget. Linux with `taskset` and two cores or more.
 * Standalone: node bin/run-ts.js bench/service-pinned.ts [MODEL.onnx]
 */
import { execFileSync, spawn } from 'node:child_process';
import { oipBinaryRequest, startServeChild, stopServeChild } from './serve-child.ts';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { formatNpyHeader } from '@entropy-sc/core/npy/header';

const RUN_TS = join(import.meta.dirname, '../bin/run-ts.js');
const BARE = join(import.meta.dirname, 'bare-session.ts');
const FLOOR = join(import.meta.dirname, 'http-floor.ts');
const TWO = 'mean,variance';

export interface PinnedRow {
  label: string;
  outputs: string;
  rowsPerSecond: number;
  baseline: number;
  p50Ms: number;
  p99Ms: number;
  fiveHundreds: number;
}

export interface MemoryRow {
  budgetMiB: number;
  idleRssMiB: number;
  peakRssMiB: number;
  maximalSent: number;
  maximal503: number;
  normalRowsPerSecond: number;
}

/** An empty fastify route on the service's core, under the 64 × 1-row load: the per-request floor. */
export interface FloorRow {
  requestsPerSecond: number;
  /** the share of the bare session's rows/s that one-row requests can reach at most, above this floor */
  ceiling: number;
}

export interface PinnedBench {
  rows: PinnedRow[];
  floor: FloorRow;
  memory: MemoryRow;
}

/** every core, read before this process pins itself (it reads one core from then on) */
const ALL_CORES = `0-${availableParallelism() - 1}`;
const pin = (cores: string) =>
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' });

function bare(model: string, outputs: string, seconds: number): number {
  const out = execFileSync('taskset', ['-c', '0', process.execPath, RUN_TS, BARE, model, outputs, String(seconds)], {
    encoding: 'utf8',
  });
  return Number(out.trim());
}

/**
 * `entropy-sc serve`, on `cores` when given: set at its start, so that the supervisor's child (the
 * service itself) and its worker threads inherit it (pinning the supervisor later would leave them out).
 */
async function load(url: string, request: ReturnType<typeof oipBinaryRequest>, connections: number, seconds: number) {
  const options = { url: url + request.path, method: 'POST' as const, ...request, connections };
  await autocannon({ ...options, duration: 1 });
  const result = await autocannon({ ...options, duration: seconds });
  let ok = 0;
  let fiveHundreds = 0;
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    if (code === '200') ok += Number(count);
    if (Number(code) >= 500) fiveHundreds += Number(count);
  }
  return { ok, fiveHundreds, duration: result.duration, p50: result.latency.p50, p99: result.latency.p99 };
}

/** Resident memory of a process and its descendants now, and their peaks (VmHWM), MiB. */
function rss(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const own = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return own / 1024 + children.reduce((sum, child) => sum + rss(Number(child), field), 0);
}

export async function measurePinned(model: string, seconds = 5): Promise<PinnedBench> {
  if (availableParallelism() < 2) throw new Error('the pinned rows need two cores');
  const { child, url } = await startServeChild(
    model,
    ['--workers', '1', '--threads', '1', '--max-queue-rows', '16384'],
    '0',
  );
  const rows: PinnedRow[] = [];
  try {
    pin('1');
    const card = (await (await fetch(`${url}/v1/model`)).json()) as { name: string; d: number };
    const meta = (await (await fetch(`${url}/v2/models/${card.name}`)).json()) as { outputs: { name: string }[] };
    const every = meta.outputs.map((o) => o.name).join(',');
    const before = new Map([TWO, every].map((o) => [o, bare(model, o, seconds / 2)]));
    const cases: [number, number, string][] = [
      [64, 16, TWO],
      [64, 16, every],
      [16, 256, TWO],
      [64, 1, TWO],
    ];
    const loads: Awaited<ReturnType<typeof load>>[] = [];
    for (const [connections, perRequest, outputs] of cases)
      loads.push(await load(url, oipBinaryRequest(card.name, perRequest, card.d, outputs), connections, seconds));
    // The bare session before and after the service's rows, the faster of the two: one slowed by the
    // machine's other load would flatter the service.
    const baselines = new Map([TWO, every].map((o) => [o, Math.max(before.get(o)!, bare(model, o, seconds / 2))]));
    cases.forEach(([connections, perRequest, outputs], i) => {
      const r = loads[i]!;
      rows.push({
        label: `${connections} clients × ${perRequest} row${perRequest === 1 ? '' : 's'}, ${outputs === TWO ? TWO : 'every output'}`,
        outputs,
        rowsPerSecond: (r.ok * perRequest) / r.duration,
        baseline: baselines.get(outputs)!,
        p50Ms: r.p50,
        p99Ms: r.p99,
        fiveHundreds: r.fiveHundreds,
      });
    });
  } finally {
    pin(ALL_CORES);
    await stopServeChild(child);
  }
  const floor = await measureFloor(
    rows.find((r) => r.label.startsWith('64 clients × 1 row'))!,
    seconds,
  );
  return { rows, floor, memory: await measureMemory(model, seconds) };
}

/**
 * The empty route under the one-row load, pinned as the service was. A request costs the core at
 * least 1/floor s and a row 1/bare s, so one-row requests reach at most 1 / (1/floor + 1/bare) rows/s:
 * 1 / (1 + bare/floor) of the bare session's rate.
 */
async function measureFloor(oneRow: PinnedRow, seconds: number): Promise<FloorRow> {
  const child = spawn('taskset', ['-c', '0', process.execPath, RUN_TS, FLOOR], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /on (http:\/\/\S+) with nothing/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`the floor server exited (${code}): ${stderr}`)));
    });
    pin('1');
    const r = await load(url, oipBinaryRequest('floor', 1, 256, TWO), 64, seconds);
    const requestsPerSecond = r.ok / r.duration;
    return { requestsPerSecond, ceiling: 1 / (1 + oneRow.baseline / requestsPerSecond) };
  } finally {
    pin(ALL_CORES);
    child.kill('SIGTERM');
  }
}

/** 16 clients send maximal requests (every output) and never read them, beside 16 × 16-row normal load. */
async function measureMemory(model: string, seconds: number): Promise<MemoryRow> {
  const budgetMiB = 1024;
  const { child, url } = await startServeChild(model, [
    '--memory-budget-mb',
    String(budgetMiB),
    '--send-timeout-ms',
    '60000',
  ]);
  try {
    const card = (await (await fetch(`${url}/v1/model`)).json()) as { name: string; d: number };
    const idleRssMiB = rss(child.pid!, 'VmRSS');
    const rows = 16384;
    const body = Buffer.concat([
      formatNpyHeader({ dtype: 'float32', shape: [rows, card.d] }),
      Buffer.from(Float32Array.from({ length: rows * card.d }, (_, i) => Math.sin(0.1 * i)).buffer),
    ]);
    const statuses = await Promise.all(
      Array.from(
        { length: 16 },
        () =>
          new Promise<number>((resolve) => {
            const request = httpRequest(`${url}/v1/encode`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-npy', 'content-length': body.length },
              agent: false,
            });
            // Never read: the answer stays with the service until the send timeout.
            request.on('response', (response) => (response.pause(), resolve(response.statusCode ?? 0)));
            request.on('error', () => resolve(0));
            request.end(body);
          }),
      ),
    );
    const normal = await load(url, oipBinaryRequest(card.name, 16, card.d, TWO), 16, seconds);
    return {
      budgetMiB,
      idleRssMiB,
      peakRssMiB: rss(child.pid!, 'VmHWM'),
      maximalSent: statuses.length,
      maximal503: statuses.filter((s) => s === 503).length,
      normalRowsPerSecond: (normal.ok * 16) / normal.duration,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

export function pinnedTable(bench: PinnedBench): string[] {
  const m = bench.memory;
  return [
    'Service on one core (`serve --workers 1 --threads 1` pinned to core 0, autocannon pinned to core 1, OIP binary; baseline: a bare one-thread onnxruntime session of the same model, 1024-row batches, on core 0 in the same run, the faster of a run before and one after the service rows):',
    '',
    '| load | rows/s | bare session rows/s | service / bare | p50 ms | p99 ms | 5xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...bench.rows.map(
      (r) =>
        `| ${r.label} | ${r.rowsPerSecond.toFixed(0)} | ${r.baseline.toFixed(0)} | ${(r.rowsPerSecond / r.baseline).toFixed(2)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.fiveHundreds} |`,
    ),
    '',
    `Floor: fastify with an empty route (a fixed 1 000-byte answer), pinned the same way, under the 64 × 1-row load: ${bench.floor.requestsPerSecond.toFixed(0)} requests/s, ${(1e6 / bench.floor.requestsPerSecond).toFixed(0)} µs of the core each. With the bare session's cost per row on top, one-row requests can reach at most ${bench.floor.ceiling.toFixed(2)} of the bare session's rows/s.`,
    '',
    `Memory: ${m.maximalSent} clients each sent a maximal request (16 384 rows, every output) and never read the answer, beside 16 clients × 16 rows (${m.normalRowsPerSecond.toFixed(0)} rows/s): ${m.maximalSent - m.maximal503} were answered, ${m.maximal503} got 503; peak RSS ${m.peakRssMiB.toFixed(0)} MiB against a budget of ${m.budgetMiB} MiB plus ${m.idleRssMiB.toFixed(0)} MiB idle.`,
  ];
}

if (process.argv.some((arg) => arg.endsWith('service-pinned.ts'))) {
  const { defaultModelPath } = await import('@entropy-sc/inference/default-model');
  const model = process.argv.find((arg) => arg.endsWith('.onnx')) ?? defaultModelPath;
  process.stdout.write(pinnedTable(await measurePinned(model)).join('\n') + '\n');
}
