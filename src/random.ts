/**
 * Seedable, serialisable pseudo-random numbers (xoshiro128**, seeded through splitmix32), so that
 * data sets, initialisations and minibatch orders are reproducible and checkpoints can store the
 * generator's exact state.
 */

/** Everything needed to continue a generator's sequence exactly. */
export interface RandomState {
  s: [number, number, number, number];
  /** The second normal deviate of the last Box-Muller pair, if not yet used. */
  spare: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Random {
  private s: Uint32Array;
  private spare: number | null = null;

  constructor(seed: number | RandomState) {
    if (typeof seed === 'number') {
      const next = splitmix32(seed);
      this.s = Uint32Array.of(next(), next(), next(), next());
    } else {
      this.s = Uint32Array.from(seed.s);
      this.spare = seed.spare;
    }
  }

  /** A generator seeded from this one's stream: independent sequences for independent uses. */
  fork(): Random {
    return new Random(this.uint32());
  }

  state(): RandomState {
    return { s: [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!], spare: this.spare };
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.uint32() >>> 5;
    const lo = this.uint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal deviate (Box-Muller). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u = 1 - this.uniform(); // (0, 1]: log stays finite
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Advances the generator as `count` calls of normal() would, without computing their deviates. */
  skipNormals(count: number): void {
    if (count > 0 && this.spare !== null) {
      this.spare = null;
      count--;
    }
    // each Box-Muller pair takes two uniforms of two 32-bit draws each
    for (let i = 0; i < 4 * Math.floor(count / 2); i++) this.uint32();
    if (count % 2 === 1) this.normal();
  }

  /** Laplace(0, scale) deviate. */
  laplace(scale = 1): number {
    const u = this.uniform() - 0.5;
    return -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
