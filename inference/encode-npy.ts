/**
 * Encoding a .npy file of rows [N, D] into one .npy per output, streamed in batches: memory is
 * bounded by the batch, not by N. The next batch is read (on libuv's thread pool) while onnxruntime
 * runs the current one, and the writes of a batch overlap the next run. A failure aborts every
 * writer, so no partial output file is left behind.
 */
import { join } from 'node:path';
import { UserError } from '@entropy-sc/core/errors';
import { readNpyHeader, readNpyRows, type NpyRowChunk } from '@entropy-sc/core/npy/read';
import { createNpyWriter, type NpyWriter } from '@entropy-sc/core/npy/write';
import { createProgress } from '@entropy-sc/core/progress';
import { checkFinite, checkRows, checkWidth } from '@entropy-sc/core/validate/arrays';
import type { OnnxEncoderModel, OutputName } from './model.ts';
import { makeOutputDir } from '@entropy-sc/core/fs/output-dir';

export interface EncodeNpyOptions {
  /** rows per onnxruntime run */
  batch: number;
  outputs: readonly OutputName[];
  /** a progress bar on stderr (default: when stderr is a terminal) */
  progress?: boolean;
}

export interface EncodeNpyResult {
  rows: number;
  /** the files written, per output */
  files: Partial<Record<OutputName, string>>;
}

export async function encodeNpyFile(
  model: OnnxEncoderModel,
  input: string,
  out: string,
  options: EncodeNpyOptions,
): Promise<EncodeNpyResult> {
  const [n, d] = checkRows((await readNpyHeader(input)).shape, input);
  checkWidth(d, model.d, input, model.path);
  const names = model.selectOutputs(options.outputs);
  await makeOutputDir(out);
  const files: Partial<Record<OutputName, string>> = {};
  const writers: Array<[OutputName, NpyWriter]> = [];
  try {
    for (const name of names) {
      files[name] = join(out, `${name}.npy`);
      writers.push([name, await createNpyWriter(files[name], { shape: [n, ...model.outputShape(name)] })]);
    }
    const progress = (options.progress ?? process.stderr.isTTY) ? createProgress('encode', n) : null;
    const chunks = readNpyRows(input, { chunkRows: options.batch });
    let pending = chunks.next();
    let writes: Promise<void>[] = [];
    try {
      for (;;) {
        const next = await pending;
        if (next.done) break;
        pending = chunks.next();
        pending.catch(() => undefined); // seen by the next await; not unhandled if this batch fails
        const x = asFloat32(next.value);
        checkFinite(x, input, [next.value.rows, d], next.value.start);
        const result = await model.run(x, next.value.rows, names);
        await Promise.all(writes);
        writes = writers.map(([name, writer]) => writer.write(result[name]!.data));
        progress?.update(next.value.start + next.value.rows);
      }
      await Promise.all(writes);
    } finally {
      await chunks.return(undefined);
    }
    for (const [, writer] of writers) await writer.close();
    const summary = `encoded ${n} rows of ${input} into ${names.map((name) => files[name]).join(', ')}`;
    if (progress) progress.finish(summary);
    else process.stderr.write(`${summary}\n`);
    return { rows: n, files };
  } catch (error) {
    for (const [, writer] of writers) await writer.abort();
    throw error;
  }
}

function asFloat32(chunk: NpyRowChunk): Float32Array {
  return chunk.data instanceof Float32Array ? chunk.data : Float32Array.from(chunk.data);
}

export function parseOutputList(text: string): string[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new UserError(`--outputs '${text}' names no output`);
  return names;
}
