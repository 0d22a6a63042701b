/** Identity 3 of math.md: E_q[log p(x|z) + log p(z) − log q(z)] estimated by sampling equals ℓ_n. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/random.ts';
import { normalizeColumns, pointStatistics } from '../../../training/objective/point-statistics.ts';
import type { PosteriorFamily } from '../../../training/objective/posterior.ts';
import { pointElbo } from '../../../training/objective/standard-elbo.ts';
import { randomProblem, toTensors } from '../../helpers/random-problem.ts';
import * as ref from '../../helpers/reference-elbo.ts';

const SAMPLES = 40_000;

describe.each<PosteriorFamily>(['diag', 'lowrank', 'full'])('Monte Carlo for the %s family', (family) => {
  it('the sample mean of the log-ratio converges to ℓ_n', () => {
    const p = randomProblem(11, family, 3, 4, 3, 2);
    const lambda = [0.8, 1.3, 0.5];
    const sigma2 = 0.7;
    const exact = tf.tidy(() => {
      const { x, w, q } = toTensors(p);
      return Array.from(
        pointElbo(pointStatistics(x, normalizeColumns(w), q), { lambda: tf.tensor1d(lambda), sigma2 }, 4).dataSync(),
      );
    });
    const wn = ref.normalize(p.w);
    const rng = new Random(99);
    for (let n = 0; n < p.n; n++) {
      const t = ref.covariance(p.q, n);
      const l = ref.cholesky(t);
      const logDet = ref.logDetSpd(t);
      const nu = p.q.mean[n]!;
      let sum = 0;
      let sumSq = 0;
      for (let s = 0; s < SAMPLES; s++) {
        const e = nu.map(() => rng.normal());
        const z = nu.map((m, i) => m + l[i]!.reduce((acc, lik, k) => acc + lik * e[k]!, 0));
        let sq = 0;
        for (let k = 0; k < 4; k++) sq += (p.x[n]![k]! - wn[k]!.reduce((acc, wkh, h) => acc + wkh * z[h]!, 0)) ** 2;
        const logLik = -2 * Math.log(2 * Math.PI * sigma2) - sq / (2 * sigma2);
        const logPrior = z.reduce((acc, zh, h) => acc - Math.log(2 * lambda[h]!) - Math.abs(zh) / lambda[h]!, 0);
        // log q(z) with z − ν = L e: −½(H log 2π + log det T + ‖e‖²)
        const logQ = -0.5 * (3 * Math.log(2 * Math.PI) + logDet + e.reduce((acc, v) => acc + v * v, 0));
        const v = logLik + logPrior - logQ;
        sum += v;
        sumSq += v * v;
      }
      const mean = sum / SAMPLES;
      const standardError = Math.sqrt((sumSq / SAMPLES - mean * mean) / SAMPLES);
      expect(Math.abs(mean - exact[n]!)).toBeLessThan(4 * standardError + 1e-4 * Math.abs(mean));
    }
  });
});
