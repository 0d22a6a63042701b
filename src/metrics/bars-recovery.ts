/**
 * Bars recovery (math.md, "Bars data"): a learned dictionary recovers a ground-truth bar when a
 * distinct learned generative field matches it up to sign and scale, i.e. with |cosine| ≥ 0.95.
 * "Distinct" makes it a bipartite matching problem: a greedy best-match-first pairing can miss
 * recoveries that a maximum matching finds.
 */

export interface BarsMatch {
  /** column of the learned dictionary */
  learned: number;
  /** column of the ground truth */
  bar: number;
  /** |cosine| between the two columns */
  cosine: number;
}

export interface BarsRecovery {
  /** number of ground-truth bars matched to distinct learned columns */
  recovered: number;
  /** number of ground-truth bars, H_true */
  total: number;
  allRecovered: boolean;
  /** the matching, ordered by bar */
  matches: BarsMatch[];
}

/**
 * Scores a learned dictionary against the ground truth by a maximum one-to-one matching over the
 * pairs with |cosine| ≥ threshold. Columns of zeros match nothing.
 * @param w learned dictionary [D, hLearned] row-major
 * @param d number of rows D of both dictionaries
 * @param truth ground-truth dictionary [D, hTrue] row-major (e.g. barsDictionary)
 * @param threshold minimal |cosine| of a match (default 0.95)
 */
export function barsRecovery(
  w: ArrayLike<number>,
  d: number,
  hLearned: number,
  truth: ArrayLike<number>,
  hTrue: number,
  threshold = 0.95,
): BarsRecovery {
  if (w.length !== d * hLearned)
    throw new RangeError(`barsRecovery: learned dictionary has ${w.length} values, not [${d}, ${hLearned}]`);
  if (truth.length !== d * hTrue)
    throw new RangeError(`barsRecovery: ground truth has ${truth.length} values, not [${d}, ${hTrue}]`);
  const cosine = absoluteCosines(w, truth, d, hLearned, hTrue);
  // Candidate learned columns of each bar, best first, so the matching found favours high cosines.
  const candidates = Array.from({ length: hTrue }, (_, bar) =>
    Array.from({ length: hLearned }, (_, learned) => learned)
      .filter((learned) => cosine[learned * hTrue + bar]! >= threshold)
      .sort((a, b) => cosine[b * hTrue + bar]! - cosine[a * hTrue + bar]!),
  );
  const matchOfLearned = new Int32Array(hLearned).fill(-1);

  // Kuhn's augmenting paths: try to give `bar` a learned column, moving earlier bars if needed.
  const augment = (bar: number, visited: Uint8Array): boolean => {
    for (const learned of candidates[bar]!) {
      if (visited[learned]) continue;
      visited[learned] = 1;
      if (matchOfLearned[learned] === -1 || augment(matchOfLearned[learned]!, visited)) {
        matchOfLearned[learned] = bar;
        return true;
      }
    }
    return false;
  };
  for (let bar = 0; bar < hTrue; bar++) augment(bar, new Uint8Array(hLearned));

  const matches: BarsMatch[] = [];
  matchOfLearned.forEach((bar, learned) => {
    if (bar >= 0) matches.push({ learned, bar, cosine: cosine[learned * hTrue + bar]! });
  });
  matches.sort((a, b) => a.bar - b.bar);
  return { recovered: matches.length, total: hTrue, allRecovered: matches.length === hTrue, matches };
}

/** |cos| between every learned column and every true column, as [hLearned, hTrue] row-major. */
function absoluteCosines(
  w: ArrayLike<number>,
  truth: ArrayLike<number>,
  d: number,
  hLearned: number,
  hTrue: number,
): Float64Array {
  const norm = (a: ArrayLike<number>, cols: number) => {
    const out = new Float64Array(cols);
    for (let i = 0; i < d; i++) for (let k = 0; k < cols; k++) out[k]! += a[i * cols + k]! ** 2;
    return out.map(Math.sqrt);
  };
  const wNorm = norm(w, hLearned);
  const tNorm = norm(truth, hTrue);
  const cosine = new Float64Array(hLearned * hTrue);
  for (let i = 0; i < d; i++)
    for (let a = 0; a < hLearned; a++) {
      const wa = w[i * hLearned + a]!;
      if (wa === 0) continue;
      for (let b = 0; b < hTrue; b++) cosine[a * hTrue + b]! += wa * truth[i * hTrue + b]!;
    }
  for (let a = 0; a < hLearned; a++)
    for (let b = 0; b < hTrue; b++) {
      const scale = wNorm[a]! * tNorm[b]!;
      cosine[a * hTrue + b] = scale > 0 ? Math.abs(cosine[a * hTrue + b]!) / scale : 0;
    }
  return cosine;
}
