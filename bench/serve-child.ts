/**
 * `entropy-sc serve` as a child process of a bench: started (optionally pinned with taskset) and
 * awaited until it says where it listens, stopped with SIGTERM; and the OIP binary request of a
 * number of rows, as the benches send it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../bin/entropy-sc.js');

export interface ServeChild {
  child: ChildProcess;
  url: string;
  /** what the service says of its pool, e.g. "2 workers × 1 thread per model" */
  pool: string;
}

/** @param cores taskset's core list for the service and every thread it starts */
export async function startServeChild(model: string, args: readonly string[], cores?: string): Promise<ServeChild> {
  const command = [process.execPath, BIN, 'serve', '--model', model, '--port', '0', '--log-level', 'warn', ...args];
  const child = spawn(cores ? 'taskset' : command[0]!, cores ? ['-c', cores, ...command] : command.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const { url, pool } = await new Promise<{ url: string; pool: string }>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /on (http:\/\/\S+) with (.*)\n/.exec(stderr);
      if (match) resolve({ url: match[1]!, pool: match[2]! });
    });
    child.once('exit', (code) => reject(new Error(`entropy-sc serve exited (${code}): ${stderr}`)));
  });
  return { child, url, pool };
}

export async function stopServeChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** An OIP infer request of `rows` rows of sin(0.1 i), binary input, the named outputs as binary data. */
export function oipBinaryRequest(name: string, rows: number, d: number, outputs: string) {
  const x = Buffer.from(Float32Array.from({ length: rows * d }, (_, i) => Math.sin(0.1 * i)).buffer);
  const json = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, d], parameters: { binary_data_size: x.length } }],
      outputs: outputs.split(',').map((o) => ({ name: o, parameters: { binary_data: true } })),
    }),
  );
  return {
    path: `/v2/models/${name}/infer`,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
    body: Buffer.concat([json, x]),
  };
}
