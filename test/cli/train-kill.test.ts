/**
 * Checkpoints survive a kill: the real CLI is killed with SIGKILL mid-run, `--resume` finishes the
 * run, and the metrics equal those of an uninterrupted run with the same seed and backend.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBinary, tempDir } from '../helpers/cli.ts';

const bin = join(import.meta.dirname, '../../bin/entropy-sc.js');
const flags = (out: string) => [
  'train',
  '--data',
  'bars',
  '--latents',
  '10',
  '--epochs',
  '6',
  '--batch',
  '200',
  '--lr',
  '3e-3',
  '--hidden',
  '32',
  '--inner',
  '48',
  '--blocks',
  '1',
  '--seed',
  '5',
  '--out',
  out,
];
const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { seconds: _s, samples_per_second: _r, eval_seconds: _e, ...rest } = JSON.parse(line);
      return rest;
    });

describe('train after SIGKILL', () => {
  it('resumes to the metrics of an uninterrupted run', async () => {
    const whole = tempDir();
    expect(runBinary(flags(whole)).code).toBe(0);

    const killed = tempDir();
    const child = spawn(process.execPath, [bin, ...flags(killed)], { stdio: 'ignore' });
    const checkpoint = join(killed, 'checkpoint.ckpt');
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(checkpoint)) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
    });
    await new Promise((resolve) => child.on('exit', resolve));
    expect(metrics(killed).length).toBeLessThan(6);

    const resumed = runBinary([...flags(killed), '--resume']);
    expect(resumed.stderr).not.toMatch(/Error/);
    expect(resumed.code).toBe(0);
    expect(metrics(killed)).toEqual(metrics(whole));
    expect(readdirSync(killed).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
