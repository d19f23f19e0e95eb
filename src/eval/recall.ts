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
