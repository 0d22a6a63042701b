/** A valid model card for a constructed (untrained) encoder, for export and inference tests. */
import { MODEL_CARD_FORMAT, parseModelCard, type ModelCard } from '../../src/schema/model-card.ts';
import { testConfig } from './run-config.ts';

export function testCard(family: 'diag' | 'lowrank', d: number, h: number, rank: number, sigma2: number): ModelCard {
  const config = testConfig({ posterior: family, latents: h, ...(family === 'lowrank' ? { rank } : {}) });
  return parseModelCard(
    {
      format: MODEL_CARD_FORMAT,
      name: `test-${family}`,
      d,
      h,
      family,
      rank: family === 'lowrank' ? rank : null,
      amortized: true,
      sigma2,
      preprocessing: {},
      data: config.data,
      n: 1,
      tile: { width: Math.sqrt(d), height: Math.sqrt(d) },
      seed: 1,
      config,
      versions: {},
      metrics: {},
    },
    'test card',
  );
}
