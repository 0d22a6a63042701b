/**
 * Issue 9, the run folder through the real binary: a diverged epoch never becomes the checkpoint, a
 * damaged checkpoint is one line, a second run into the same folder is refused, SIGINT/SIGTERM and a
 * killed parent stop training at once and leave no temporary file, an unexpected error is one line
 * and a report, and nothing the user had is gone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_NAME } from '../../src/fs/run-lock.ts';
import { tempDir, type CliResult } from '../helpers/cli.ts';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/entropy-sc.js');
const small = [
  '--data',
  'bars',
  '--samples',
  '200',
  '--latents',
  '10',
  '--hidden',
  '16',
  '--inner',
  '16',
  '--blocks',
  '1',
  '--workers',
  '1',
];

function start(args: string[], command = [process.execPath, bin]): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(command[0]!, [...command.slice(1), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  const done = new Promise<CliResult>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code: code ?? 128 + (signal === 'SIGINT' ? 2 : 15), stdout, stderr })),
  );
  return { child, done };
}
const run = (args: string[]) => start(args).done;
/** stderr without the per-epoch progress lines. */
const messages = (r: CliResult) => r.stderr.split('\n').filter((l) => l && !/^epoch \d+/.test(l));
const until = async (condition: () => boolean, ms = 120_000) => {
  for (const end = Date.now() + ms; !condition();) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const lockOwner = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_NAME), 'utf8')).pid as number;
const tempFiles = (dir: string) => readdirSync(dir).filter((f) => /\.tmp-/.test(f));

describe('a diverged run (items 1, 2)', () => {
  it('exits non-zero with one line, writes nothing for epoch 1, and advises a new run with a smaller --lr', async () => {
    const out = join(tempDir(), 'run');
    const r = await run(['train', ...small, '--epochs', '1', '--lr', '1e9', '--out', out]);
    expect(r.code).toBe(1);
    expect(messages(r)).toEqual([
      expect.stringMatching(
        /^entropy-sc: epoch 1 diverged \(.* = NaN\); nothing was written\. Start a new run in another --out with a smaller --lr \(this run: --lr 1000000000.*try --lr 100000000\)$/,
      ),
    ]);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('checkpoints (items 7, 15)', () => {
  it('a truncated or bit-flipped checkpoint is one line; --resume of a complete run says so', async () => {
    const out = join(tempDir(), 'run');
    expect((await run(['train', ...small, '--epochs', '1', '--out', out])).code).toBe(0);
    const checkpoint = join(out, 'checkpoint.ckpt');
    const good = readFileSync(checkpoint);
    const complete = await run(['train', ...small, '--epochs', '1', '--out', out, '--resume']);
    expect(complete.code).toBe(0);
    expect(messages(complete)).toEqual([
      expect.stringMatching(/the run is already complete \(1 epochs done, --epochs 1\); nothing was changed/),
    ]);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 100]! ^= 0x10; // a bit of the array data
    const results = [];
    for (const bytes of [good.subarray(0, 100), flipped]) {
      writeFileSync(checkpoint, bytes);
      results.push(await run(['train', ...small, '--epochs', '2', '--out', out, '--resume']));
    }
    for (const r of results) {
      expect(r.code).toBe(1);
      expect(messages(r)).toEqual([
        expect.stringMatching(/checkpoint\.ckpt: the checkpoint is damaged \(its SHA-256 checksum does not match/),
      ]);
    }
    writeFileSync(checkpoint, Buffer.concat([Buffer.from('ESCKPT01'), good.subarray(8)]));
    const older = await run(['train', ...small, '--epochs', '2', '--out', out, '--resume']);
    expect(messages(older)).toEqual([
      expect.stringMatching(/a checkpoint of an older entropy-sc \(format ESCKPT01, without a checksum\)/),
    ]);
  });
});

describe('run folder lock (item 10) and signals (items 12, 17)', () => {
  it('refuses a second run into a folder in use; SIGINT stops the first at once, removes its temporary files, keeps the user’s', async () => {
    const out = join(tempDir(), 'run');
    const first = start(['train', ...small, '--epochs', '200', '--out', out]);
    await until(() => existsSync(join(out, 'checkpoint.ckpt')));
    const trainer = lockOwner(out);
    expect(trainer).not.toBe(first.child.pid); // the supervisor's child trains
    const second = await run(['train', ...small, '--epochs', '200', '--out', out, '--resume']);
    expect(second.code).toBe(1);
    expect(messages(second)).toEqual([
      expect.stringMatching(
        new RegExp(
          `is in use by another entropy-sc run \\(pid ${trainer} on .*\\); wait for it to end or choose another --out`,
        ),
      ),
    ]);
    // an in-flight write of the trainer, and a file of the user's
    writeFileSync(join(out, `metrics.jsonl.tmp-${trainer}-0123456789ab`), 'partial');
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const sent = Date.now();
    first.child.kill('SIGINT');
    const stopped = await first.done;
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(stopped.code).toBe(130);
    expect(messages(stopped)).toEqual(['entropy-sc: stopped; resume with --resume']);
    expect(alive(trainer)).toBe(false);
    expect(tempFiles(out)).toEqual([]);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    // the lock of the killed trainer is stale: the next run takes it
    const resumed = await run(['train', ...small, '--epochs', '1', '--out', out, '--resume']);
    expect(messages(resumed)).toEqual([expect.stringMatching(/already complete/)]);
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
  });

  it('training stops when the npx in front of it is killed, and on SIGTERM', async () => {
    const out = join(tempDir(), 'run');
    const npx = start(['--no-install', 'entropy-sc', 'train', ...small, '--epochs', '200', '--out', out], ['npx']);
    await until(() => existsSync(join(out, LOCK_NAME)));
    const trainer = lockOwner(out);
    npx.child.kill('SIGTERM'); // npm exec's shell dies and would orphan the training process
    await npx.done;
    await until(() => !alive(trainer), 10_000);

    const other = join(tempDir(), 'run');
    const direct = start(['train', ...small, '--epochs', '200', '--out', other]);
    await until(() => existsSync(join(other, LOCK_NAME)));
    direct.child.kill('SIGTERM');
    const r = await direct.done;
    expect(r.code).toBe(143);
    expect(messages(r)).toEqual([
      expect.stringMatching(/^entropy-sc: stopped( before the first checkpoint|; resume with --resume)$/),
    ]);
  });
});

describe('one-line errors (items 8, 16, 18)', () => {
  it('refuses runs that cannot fit with the estimate; runs --batch 1e9 with min(batch, N)', async () => {
    const dir = tempDir();
    const [samples, latents, hidden, patches, batch] = await Promise.all([
      run(['train', '--data', 'bars', '--samples', '1000000000', '--latents', '10', '--out', join(dir, 'a')]),
      run(['train', '--data', 'bars', '--latents', '10000000', '--out', join(dir, 'b')]),
      run(['train', '--data', 'bars', '--latents', '10', '--hidden', '1000000', '--out', join(dir, 'c')]),
      run(['patches', '--data', 'images:', '--samples', '10000000000', '--out', join(dir, 'p.npy')]),
      run(['train', ...small, '--epochs', '1', '--batch', '1000000000', '--out', join(dir, 'e')]),
    ]);
    expect(messages(samples)).toEqual([
      expect.stringMatching(
        /this run needs an array of 25000000000 values.*data \[N=1000000000, D=25\], about 93\.1 GiB/,
      ),
    ]);
    expect(messages(latents)).toEqual([
      expect.stringMatching(/^entropy-sc: this run needs .*; the largest part is .*GiB/),
    ]);
    expect(messages(hidden)).toEqual([
      expect.stringMatching(
        /this run needs about [\d.]+ GiB of tensor memory, more than the wasm backend's 4\.00 GiB heap/,
      ),
    ]);
    expect(messages(patches)).toEqual([expect.stringMatching(/data \[N=10000000000, D=256\], about 9\.31 TiB/)]);
    for (const r of [samples, latents, hidden, patches]) expect(r.code).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['e']); // refused runs created nothing
    expect(batch.code, batch.stderr).toBe(0);
  });

  it('npx prints no npm warning; an unexpected error is one line pointing to the full report', async () => {
    const help = spawnSync('npx', ['--no-install', 'entropy-sc', '--help'], { cwd: root, encoding: 'utf8' });
    expect(help.stdout).toMatch(/^Usage: entropy-sc/);
    expect(help.stderr).toBe('');
    // A fault no code path expects: thrown from a timer of the training process once it runs.
    const out = join(tempDir(), 'run');
    const fault = `import { existsSync } from 'node:fs'; const t = setInterval(() => { if (process.env.ENTROPY_SC_SUPERVISOR && existsSync(${JSON.stringify(join(out, LOCK_NAME))})) { clearInterval(t); throw new TypeError('injected fault'); } }, 50); t.unref();`;
    const crash = await start(
      ['train', ...small, '--epochs', '200', '--out', out],
      [process.execPath, '--import', `data:text/javascript,${encodeURIComponent(fault)}`, bin],
    ).done;
    expect(crash.code).toBe(1);
    const lines = messages(crash);
    expect(lines).toHaveLength(1);
    const report = /the full report is in (\S+)$/.exec(lines[0]!)?.[1];
    expect(lines[0]).toMatch(/^entropy-sc: unexpected error \(TypeError: injected fault\)/);
    expect(report!.startsWith(out)).toBe(true); // in the run folder
    expect(readFileSync(report!, 'utf8')).toMatch(/TypeError: injected fault\n\s+at /);
  });
});
