/** Run configs for tests that drive the training loop directly: the CLI's resolution, bars by default. */
import { resolveRunConfig, type RunConfig, type TrainFlags } from '../../src/schema/run-config.ts';

export function testConfig(flags: Partial<TrainFlags> = {}): RunConfig {
  return resolveRunConfig({ data: 'bars', latents: 10, ...flags });
}
