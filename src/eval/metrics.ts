/**
 * Pure measures over search results (row-major labels, nq*k). Like faiss's
 * contrib/evaluation: arrays in, numbers out.
 */

/**
 * Mean fraction of the true k nearest neighbours (Iref, from an exact search)
 * found among the k returned (I). Both nq*k; k taken from their shapes.
 */
export function recallAtK(Iref: BigInt64Array, I: BigInt64Array, nq: number, k: number = I.length / nq): number {
  const kref = Iref.length / nq;
  if (!Number.isInteger(kref) || !Number.isInteger(k) || kref < k) {
    throw new Error(`recallAtK: Iref holds ${Iref.length} labels and I ${I.length} for ${nq} queries; need nq*k each`);
  }
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    const truth = new Set<bigint>();
    for (let r = 0; r < k; r++) truth.add(Iref[q * kref + r]);
    for (let r = 0; r < k; r++) if (truth.has(I[q * k + r]) && I[q * k + r] !== -1n) hits++;
  }
  return hits / (nq * k);
}

/**
 * Mean fraction of the k results whose class equals the query's class
 * (precision@k as the course defines it: "how many of the 3 neighbours are the
 * same breed"). `classOf` maps a label to its class; -1 labels count as misses.
 */
export function precisionAtK(
  I: BigInt64Array,
  queryClasses: ArrayLike<number | string>,
  classOf: (label: number) => number | string,
  k: number = I.length / queryClasses.length,
): number {
  const nq = queryClasses.length;
  const stride = I.length / nq;
  if (!Number.isInteger(stride) || stride < k) {
    throw new Error(`precisionAtK: ${I.length} labels for ${nq} queries do not hold k=${k} per query`);
  }
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    for (let r = 0; r < k; r++) {
      const label = I[q * stride + r];
      if (label >= 0n && classOf(Number(label)) === queryClasses[q]) hits++;
    }
  }
  return hits / (nq * k);
}
