/**
 * The model card's one typed form: cards written before the model was described once (the whole run
 * configuration in `config`) read as the same typed card, the two copies checked against each other;
 * the shipped model's and the service fixture's embedded cards load.
 */
import { describe, expect, it } from 'vitest';
import { readModelFile } from '../../inference/card.ts';
import { outputRowShape, parseModelCard } from '../../src/schema/model-card.ts';
import { testConfig } from '../helpers/run-config.ts';

const earlierCard = (overrides: Record<string, unknown> = {}, config: Record<string, unknown> = {}) => ({
  format: 'entropy-sc/model-card@1',
  name: 'earlier',
  d: 16,
  h: 8,
  family: 'lowrank',
  rank: 3,
  amortized: true,
  sigma2: 0.25,
  preprocessing: {},
  data: { kind: 'bars', size: 4, samples: 1000, noise: 0.1 },
  n: 1000,
  tile: { width: 4, height: 4 },
  seed: 1,
  config: { ...testConfig({ posterior: 'lowrank', latents: 8, rank: 3, hidden: 40 }), ...config },
  versions: {},
  metrics: {},
  ...overrides,
});

describe('model card', () => {
  it('reads an earlier card: the model at the top level once, the built widths resolved, config the settings only', () => {
    const card = parseModelCard(earlierCard(), 'earlier.json');
    expect(card.rank).toBe(3);
    expect(card.encoder).toEqual({ hidden: 40, inner: 48, blocks: 2 });
    expect(Object.keys(card.config)).not.toContain('rank');
    expect(Object.keys(card.config)).not.toContain('posterior');
    expect(Object.keys(card.config)).not.toContain('latents');
    expect(outputRowShape(card, 'cov_factor')).toEqual([8, 3]);
  });

  it('keeps the built widths an earlier amortized card held at its top level', () => {
    const card = parseModelCard(earlierCard({ encoder: { hidden: 40, inner: 48, blocks: 2 } }), 'earlier.json');
    expect(card.encoder).toEqual({ hidden: 40, inner: 48, blocks: 2 });
  });

  it('refuses an earlier card whose two copies of the rank disagree, naming both', () => {
    expect(() => parseModelCard(earlierCard({ rank: 2 }), 'earlier.json')).toThrow(
      /earlier\.json: .*its rank is 2 but its config says 3/,
    );
  });

  it('refuses a lowrank card without a rank, and a diag card with one', () => {
    const current = parseModelCard(earlierCard(), 'earlier.json');
    expect(() => parseModelCard({ ...current, rank: null }, 'c.json')).toThrow(/c\.json: .*rank/);
    expect(() => parseModelCard({ ...current, family: 'diag' }, 'c.json')).toThrow(/c\.json: .*rank/);
  });

  it('reads a current card back to itself', () => {
    const current = parseModelCard(earlierCard(), 'earlier.json');
    expect(parseModelCard(JSON.parse(JSON.stringify(current)), 'current.json')).toEqual(current);
  });

  it.each([
    ['models/default.onnx', 'lowrank', 5, { hidden: 512, inner: 768, blocks: 2 }],
    ['test/service/fixtures/tiny-lowrank.onnx', 'lowrank', 2, { hidden: 32, inner: 48, blocks: 2 }],
  ])('loads the embedded card of %s', async (path, family, rank, encoder) => {
    const { card } = await readModelFile(new URL(`../../${path}`, import.meta.url).pathname);
    expect(card.family).toBe(family);
    expect(card.rank).toBe(rank);
    expect(card.encoder).toEqual(encoder);
  });
});
