// The registry of index kinds (src/faiss/registry.ts) is what downcast, the factory, the serialized
// checks and the grid builders read: each row must be whole and agree with faiss's own names.
import { strict as assert } from 'node:assert';
import { clusteredVectors } from '../src/data/synthetic';
import { type FactoryKind, factoryKinds, INDEX_KINDS, type KindName, kindOfClass } from '../src/faiss/registry';
import { builders } from '../src/index';
import {
  deserializeIndex,
  IDSelectorBatch,
  IDSelectorNot,
  IndexFlat,
  indexFactory,
  MetricType,
  SearchParameters,
  serializeIndex,
} from '../src/internal';
import { FACTORY_FORMS } from '../src/search/factory';

// The kind names are read from the rows: a row added or renamed changes these types, and this file stops compiling.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const factoryKindsAreTheRows: Equal<
  FactoryKind,
  'Flat' | 'HNSWFlat' | 'IVFFlat' | 'IVFFlatDedup' | 'PQ' | 'IVFPQ' | 'SQ' | 'IVFSQ' | 'HNSWSQ' | 'HNSWPQ'
> = true;
const kindNames: Equal<KindName, FactoryKind | 'FlatL2' | 'FlatIP' | 'IDMap' | 'IDMap2' | 'HNSW' | 'IVF'> = true;

describe('index kinds registry', () => {
  it('names its kinds by type from the rows (FactoryKind, KindName)', () => {
    assert.ok(factoryKindsAreTheRows && kindNames);
    assert.deepEqual(
      factoryKinds().map((k) => k.name),
      ['Flat', 'HNSWFlat', 'IVFFlat', 'IVFFlatDedup', 'PQ', 'IVFPQ', 'SQ', 'IVFSQ', 'HNSWSQ', 'HNSWPQ'],
    );
  });

  it("every row's grid builder is on the public builders object under its camel-case name", () => {
    const publicBuilders = Object.values(builders) as unknown[];
    for (const k of INDEX_KINDS.filter((k) => k.builder)) {
      assert.ok(publicBuilders.includes(k.builder), `${k.name}'s builder is not in builders`);
    }
  });

  it('every row has its class registered, named as faiss names it, and downcast finds that row', () => {
    for (const row of INDEX_KINDS) {
      assert.ok(row.cls, `${row.name} has no class`);
      assert.equal(row.cls.name, row.className);
      assert.equal(kindOfClass(row.className), row, `${row.className} downcasts to another row`);
    }
  });

  it('four-character codes are four characters, each in one row', () => {
    const codes = INDEX_KINDS.flatMap((k) => k.fourcc);
    assert.ok(codes.every((c) => c.length === 4));
    assert.equal(new Set(codes).size, codes.length);
  });

  it('a grid builder is named as its row', () => {
    const built = INDEX_KINDS.filter((k) => k.builder);
    assert.deepEqual(built.map((k) => k.name).sort(), ['Flat', 'HNSWFlat', 'IVFFlat', 'IVFPQ']);
    for (const k of built) assert.equal(k.builder!.name, k.name);
  });

  it('the accepted forms are the factory rows in order', () => {
    assert.equal(factoryKinds().length, 10);
    assert.equal(
      FACTORY_FORMS,
      'Flat, HNSW<M> (or HNSW<M>,Flat), IVF<nlist>,Flat and IVF<nlist>_HNSW<M>,Flat, IVF<nlist>,FlatDedup, ' +
        'PQ<M>[x<nbits>][np], IVF<nlist>,PQ<M>[x<nbits>][np], SQ4/SQ6/SQ8/SQfp16, IVF<nlist>,SQ8 (or SQ4/SQ6/SQfp16), ' +
        'HNSW<M>,SQ8 and HNSW<M>,PQ<m>[np], each but FlatDedup optionally as IDMap,<...> or IDMap2,<...>',
    );
  });

  it("each factory kind builds its row's class, written under a code of its checks, read back as it", () => {
    const strings: Record<string, string> = {
      Flat: 'Flat',
      HNSWFlat: 'HNSW8',
      IVFFlat: 'IVF4,Flat',
      IVFFlatDedup: 'IVF4,FlatDedup',
      PQ: 'PQ4np',
      IVFPQ: 'IVF4,PQ4x4np',
      SQ: 'SQ8',
      IVFSQ: 'IVF4,SQ8',
      HNSWSQ: 'HNSW8,SQ8',
      HNSWPQ: 'HNSW8,PQ4np',
    };
    for (const row of factoryKinds()) {
      const index = indexFactory(8, strings[row.name], MetricType.L2);
      try {
        assert.ok(
          Object.prototype.isPrototypeOf.call(row.cls!.prototype, index),
          `${strings[row.name]} is a ${index.className}`,
        );
        const bytes = serializeIndex(index);
        const code = bytes.subarray(0, 4).toString('latin1');
        // faiss writes an L2 IndexFlat as IxF2, which its reader makes an IndexFlatL2: checked as a Flat.
        const written = INDEX_KINDS.find((k) => k.fourcc.includes(code));
        assert.equal(written && (written.checkedAs ?? written.name), row.name, `${row.name} written as ${code}`);
        const back = deserializeIndex(bytes);
        assert.ok(
          Object.prototype.isPrototypeOf.call(row.cls!.prototype, back),
          `${row.name} read back as ${back.className}`,
        );
        back.dispose();
      } finally {
        index.dispose();
      }
    }
  });

  it('searchParametersFiltering agrees with what each kind takes: its parameters filter, its undefined is refused', () => {
    const d = 8;
    const xb = clusteredVectors({ n: 400, d, clusters: 4, seed: 7 });
    const xq = { data: xb.data.subarray(0, 3 * d), n: 3, d };
    const odd = [...Array(400).keys()].filter((i) => i % 2 === 1);
    const sel = () => new IDSelectorNot(new IDSelectorBatch(odd));
    const strings = ['Flat', 'HNSW8', 'IVF4,Flat', 'IVF4,FlatDedup', 'PQ4np', 'IVF4,PQ4np', 'SQ8', 'IVF4,SQ8'];
    const cases: Array<[string, MetricType]> = strings.map((s) => [s, MetricType.L2]);
    cases.push(['Flat', MetricType.L1], ['HNSW8', MetricType.L1], ['IDMap,Flat', MetricType.L2]);
    for (const [desc, metric] of cases) {
      const index = indexFactory(d, desc, metric);
      try {
        if (!index.isTrained) index.train(xb);
        if (desc.startsWith('IDMap'))
          index.addWithIds(xb, BigInt64Array.from(odd.concat(odd.map((i) => i - 1)), BigInt));
        else index.add(xb);
        const params = index.searchParametersFiltering(sel());
        if (params === undefined) {
          assert.throws(() => index.search(xq, 5, new SearchParameters({ sel: sel() })), Error, `${desc}`);
          continue;
        }
        const res = index.search(xq, 5, params);
        for (const l of res.labels) assert.ok(l === -1n || l % 2n === 0n, `${desc} (${metric}): ${l} not filtered`);
        if (desc === 'Flat' || desc === 'SQ8') {
          // A scan: the filtered answer is the full answer with the odd ids taken out.
          const all = index.search(xq, 400);
          for (let q = 0; q < 3; q++) {
            const kept = all
              .ids(q)
              .filter((id) => id % 2 === 0)
              .slice(0, 5);
            assert.deepEqual(res.ids(q), kept, `${desc}: query ${q}`);
          }
        }
      } finally {
        index.dispose();
      }
    }
    // The flat answer is the exact one among the kept ids.
    const flat = new IndexFlat(d);
    flat.add(xb);
    const got = flat.search(xq, 3, flat.searchParametersFiltering(sel()));
    assert.ok([...got.labels].every((l) => l % 2n === 0n));
    flat.dispose();
  });
});
