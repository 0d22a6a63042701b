/**
 * `train --resume` compares every setting that changes the result (issue 8): a changed data option,
 * encoder width, family, rate or seed is refused with one line naming each differing setting and
 * both values; a checkpoint whose settings this version cannot read is one line too.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../training/checkpoint/checkpoint-file.ts';
import { runBinary, runCli, tempDir } from '../helpers/cli.ts';

const base = [
  'train',
  '--data',
  'bars',
  '--latents',
  '10',
  '--samples',
  '200',
  '--epochs',
  '1',
  '--batch',
  '100',
  '--hidden',
  '16',
  '--inner',
  '24',
  '--blocks',
  '1',
  '--workers',
  '1',
];

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('train --resume', () => {
  const out = tempDir();

  it('trains the run to resume', async () => {
    expect((await runCli([...base, '--out', out])).code).toBe(0);
  });

  it.each([
    [['--noise', '0.5'], /data\.noise: 0\.1 there, 0\.5 now/],
    [['--bars-size', '4'], /data\.size: 5 there, 4 now/],
    [['--hidden', '8'], /encoder\.hidden: 16 there, 8 now/],
    [['--inner', '12'], /encoder\.inner: 24 there, 12 now/],
    [['--blocks', '2'], /encoder\.blocks: 1 there, 2 now/],
    [['--posterior', 'lowrank'], /posterior: "diag" there, "lowrank" now.*rank: null there, 5 now/],
    [['--batch', '50'], /batch: 100 there, 50 now/],
    [['--seed', '2'], /seed: 1 there, 2 now/],
    [['--anneal', 'prior'], /anneal: "none" there, "prior" now/],
  ])('refuses %j with one line naming the setting and both values', async (change, message) => {
    const args = [...base, '--out', out, '--epochs', '2', '--resume'];
    for (let k = 0; k < change.length; k += 2) {
      const at = args.indexOf(change[k]!);
      if (at >= 0) args.splice(at, 2);
      args.push(change[k]!, change[k + 1]!);
    }
    const r = await runCli(args);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/--resume: .*checkpoint\.ckpt was written with different settings/);
    expect(r.stderr).toMatch(message);
  });

  it('names every differing setting at once, from the real binary without a stack trace', () => {
    const r = runBinary([...base, '--out', out, '--epochs', '2', '--resume', '--noise', '0.2', '--hidden', '8']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/data\.noise: 0\.1 there, 0\.2 now; encoder\.hidden: 16 there, 8 now/);
  });

  it('refuses a checkpoint whose settings this version cannot read', async () => {
    const old = tempDir();
    await saveCheckpoint(join(old, 'checkpoint.ckpt'), {
      state: { epoch: 1, config: { data: 'bars', latents: 10 } },
      arrays: {},
    });
    const r = await runCli([...base, '--out', old, '--epochs', '2', '--resume']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/written by an incompatible version/);
  });
});

describe('train settings', () => {
  it.each([
    [['--patch', '8'], /--patch: not an option of --data bars/],
    [['--rank', '3'], /--rank applies to --posterior lowrank only/],
  ])('refuses %j where it does not apply', async (extra, message) => {
    const r = await runCli([...base, '--out', tempDir(), ...extra]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(message);
  });
});
