/**
 * `entropy-sc serve` refusing to start, in one line, on what used to hang it, allocate without
 * bound, or serve nonsense: a card whose D or outputs do not match its graph, a model path that is
 * no regular file, contradictory or out-of-range flags, a token no client could send; and a
 * startup error after the workers started ends the process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '@entropy-sc/core/errors';
import { MODEL_CARD_KEY } from '@entropy-sc/core/schema/onnx-contract';
import { decodeModel } from '@entropy-sc/inference/card';
import { loadToken } from '../../service/auth.ts';
import { startService } from '../../service/serve.ts';
import { main } from '../../cli/main.ts';

const { onnx } = onnxProto;
const BIN = join(import.meta.dirname, '../../bin/entropy-sc.js');
const MODEL = join(import.meta.dirname, 'fixtures/tiny-lowrank.onnx');
const dir = mkdtempSync(join(tmpdir(), 'entropy-sc-forged-'));

type Model = ReturnType<typeof decodeModel>;
const tiny = () => decodeModel(readFileSync(MODEL), MODEL);
const cardOf = (model: Model) =>
  JSON.parse(model.metadataProps.find((p) => p.key === MODEL_CARD_KEY)!.value!) as Record<string, unknown>;

function write(name: string, model: Model, card?: Record<string, unknown>): string {
  if (card) model.metadataProps.find((p) => p.key === MODEL_CARD_KEY)!.value = JSON.stringify(card);
  const path = join(dir, name);
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  return path;
}

/** x → mean by Identity, declaring mean as [batch, `declared`], with the tiny model's card. */
function identityModel(declared: number): Model {
  const model = tiny();
  const tensor = (name: string, width: number) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] } } },
  });
  model.graph = onnx.GraphProto.create({
    name: 'identity',
    node: [{ opType: 'Identity', input: ['x'], output: ['mean'] }],
    input: [tensor('x', 16)],
    output: [tensor('mean', declared)],
  });
  return model;
}

const serve = (modelPath: string) => startService({ modelPath, port: 0, pool: { workers: 1, threadsPerWorker: 1 } });

describe('serve refuses a model that does not match its card', () => {
  it('a card claiming a D the graph does not take, before any warm-up', async () => {
    const path = write('huge-d.onnx', tiny(), { ...cardOf(tiny()), d: 1_000_000_000 });
    await expect(serve(path)).rejects.toThrow(UserError);
    await expect(serve(path)).rejects.toThrow(/graph's input 'x' is \[\?, 16\] but its card says D=1000000000/);
  });

  it('a graph whose outputs are not what its card implies (an Identity with a copied card)', async () => {
    await expect(serve(write('identity.onnx', identityModel(16)))).rejects.toThrow(
      /output 'mean' is \[16\] per row but its card \(D=16, H=8\) implies \[8\]/,
    );
    // Declared as the card says, computing something else.
    await expect(serve(write('identity-lying.onnx', identityModel(8)))).rejects.toThrow(
      /output 'mean' is \[1, 16\], not \[1, 8\]: the graph does not compute what its card describes/,
    );
  });

  it('a model path that is not a regular file (/dev/zero would be read forever)', async () => {
    await expect(serve('/dev/zero')).rejects.toThrow(/\/dev\/zero: not a regular file/);
    await expect(serve(dir)).rejects.toThrow(/not a regular file/);
  });
});

describe('serve flags', () => {
  afterEach(() => vi.restoreAllMocks());

  async function run(...args: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
    const code = await main(['serve', '--model', MODEL, ...args]);
    return { code, stderr };
  }

  it('refuses ports out of range or not in decimal, and timeouts Node cannot wait', async () => {
    for (const port of ['70000', '0x50', '-1', '1e3'])
      expect(await run('--port', port)).toEqual({
        code: 2,
        stderr: expect.stringMatching(new RegExp(`port from 0 to 65535 in decimal, got '${port}'`)),
      });
    for (const flag of ['--timeout-ms', '--send-timeout-ms', '--shutdown-timeout-ms'])
      expect(await run(flag, String(2 ** 31))).toEqual({
        code: 2,
        stderr: expect.stringMatching(/whole milliseconds from 1 to 2147483647, got '2147483648'/),
      });
  });

  it('refuses a body limit below one byte, and a budget that cannot hold one body, before starting workers', async () => {
    expect(await run('--body-limit-mb', '0.0000001')).toEqual({
      code: 1,
      stderr: expect.stringMatching(
        /^entropy-sc: --body-limit-mb: the limit comes to 0 bytes; it must be at least 1 byte\n$/,
      ),
    });
    expect(await run('--body-limit-mb', '8', '--memory-budget-mb', '4')).toEqual({
      code: 1,
      stderr: expect.stringMatching(/^entropy-sc: --memory-budget-mb: 4194304 bytes cannot hold even one body/),
    });
  });

  it('refuses an ENTROPY_SC_TOKEN with whitespace, which no client could send back', async () => {
    await expect(loadToken(undefined, { token: 'two words' })).rejects.toThrow(
      /ENTROPY_SC_TOKEN: a token is one word without spaces/,
    );
  });

  it('exits (1, one line) on an error after its workers started: the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const result = spawnSync(process.execPath, [BIN, 'serve', '--model', MODEL, '--port', port, '--workers', '1'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        `entropy-sc: cannot listen on 127.0.0.1:${port}: the port is in use (give another with --port)\n`,
      );
    } finally {
      taken.close();
    }
  }, 70_000);
});
