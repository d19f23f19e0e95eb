/**
 * Ownership of indexes built on other indexes (an IVF's quantizer, an IDMap's
 * index): which writes are refused, and why.
 */
import type { Index } from './base';

//
// An index another index is built on (an IVF's quantizer, an IDMap's index) must
// not change behind that index's back: faiss then reads past its tables or aborts
// (a quantizer with more centroids than lists, an IDMap whose inner index holds
// vectors its id table does not know). So, checked here before any native call:
//   - such an index is read-only from JS while the outer index lives (add,
//     addWithIds, train, reset, removeIds are refused; search and query knobs are
//     fine); views (ivf.quantizer, idmap.index of a read or factory-made index)
//     always are;
//   - an outer index's own write that would change an inner index which a third
//     index also uses is refused (two IVFs sharing a quantizer cannot train it).

export type Role = 'quantizer' | 'index';
/** Writes: what changes an index's contents. */
export type Op = 'add' | 'train' | 'reset' | 'removeIds';

interface Ownership {
  /** The index this one lives inside (a view), and what it is there. */
  container?: Index;
  role?: Role;
  /** Indexes built on this one, held weakly: this one is read-only while one of them lives. */
  users: Array<{ ref: WeakRef<Index>; role: Role }>;
}
const ownership = new WeakMap<Index, Ownership>();

export function ownershipOf(x: Index): Ownership {
  let o = ownership.get(x);
  if (!o) {
    o = { users: [] };
    ownership.set(x, o);
  }
  return o;
}

export interface Owner {
  owner: Index;
  role: Role;
  /** Whether x lives inside owner (a view) rather than being passed to its constructor. */
  view: boolean;
}

/** The live indexes x belongs to. */
export function ownersOf(x: Index): Owner[] {
  const o = ownership.get(x);
  if (!o) return [];
  const out: Owner[] = [];
  if (o.container && !o.container.disposed) out.push({ owner: o.container, role: o.role!, view: true });
  o.users = o.users.filter((u) => {
    const w = u.ref.deref();
    return w !== undefined && !w.disposed;
  });
  for (const u of o.users) out.push({ owner: u.ref.deref()!, role: u.role, view: false });
  return out;
}

const OP_NAMES: Record<Op, string> = { add: 'add to', train: 'train', reset: 'reset', removeIds: 'remove ids from' };

function roleText(o: Owner): string {
  return o.role === 'quantizer'
    ? `the quantizer of an ${o.owner.className}`
    : `the index inside an ${o.owner.className}`;
}

export function readOnlyError(x: Index, op: Op, o: Owner): Error {
  const why =
    o.role === 'quantizer'
      ? 'which sends each vector to the list of its nearest centroid (other centroids would name lists that do not exist)'
      : 'whose id table must stay in step with it';
  const instead =
    o.role === 'quantizer'
      ? `train, add to or reset the ${o.owner.className} itself`
      : `use the ${o.owner.className}'s addWithIds, removeIds, reset or train`;
  const free = o.view ? '' : `, or dispose() the ${o.owner.className} first`;
  return new Error(
    `cannot ${OP_NAMES[op]} this ${x.className}: it is ${roleText(o)}, ${why}, so it is read-only while that index lives. ` +
      `Instead, ${instead}${free}`,
  );
}

/** A write on x that changes `target`, parent's inner index in `role`, which `other` also uses. */
export function sharedError(x: Index, op: Op, parent: Index, target: Index, role: Role, other: Owner): Error {
  const mine = role === 'quantizer' ? 'quantizer' : 'inner index';
  return new Error(
    `cannot ${OP_NAMES[op]} this ${x.className}: that changes ${parent === x ? 'its' : `its ${parent.className}'s`} ${mine} ` +
      `(an ${target.className}), which is also ${roleText(other)}. Build each index on an index of its own, ` +
      'e.g. new IndexIVFFlat(new IndexFlatL2(d), d, nlist)',
  );
}
