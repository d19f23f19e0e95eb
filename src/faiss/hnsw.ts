/** Graph search: faiss.IndexHNSW and IndexHNSWFlat (the quantized variants are in quantizers.ts). */
import type { NativeHNSWGraph, NativeIndex } from 'faiss-lab-native';
import { HNSW_M_MAX, HNSW_M_MIN } from '../search/factory';
import { MetricType } from '../search/results';
import { type IDSelector, type SearchParameters, SearchParametersHNSW } from '../search/selectors';
import { ArgumentError, checkInt32, checkInteger, invalid } from '../util/check';
import { checkMetric } from './args';
import { Index } from './base';
import { native } from './native';
import { registerClass } from './registry';

/** The graph parameters of an HNSW index, as index.hnsw in faiss. */
export class HNSWParameters {
  constructor(private readonly owner: NativeIndex) {}

  /** Candidates kept while searching: higher is slower and more accurate (default 16). */
  get efSearch(): number {
    return this.owner.getParam('efSearch');
  }
  set efSearch(v: number) {
    this.owner.setParam('efSearch', checkInt32(v, 'hnsw.efSearch', 1, 1 << 20));
  }

  /** Candidates kept while adding; affects vectors added afterwards (default 40). */
  get efConstruction(): number {
    return this.owner.getParam('efConstruction');
  }
  set efConstruction(v: number) {
    this.owner.setParam('efConstruction', checkInt32(v, 'hnsw.efConstruction', 1, 1 << 20));
  }

  /** Neighbours per node above level 0 (2*M on level 0). Fixed at construction. */
  get M(): number {
    return this.owner.getParam('M');
  }

  /** Highest level of the graph so far (-1 while empty). */
  get maxLevel(): number {
    return this.owner.getParam('maxLevel');
  }

  /**
   * A copy of the graph as it is now (faiss's levels, offsets, neighbors, ...):
   * later adds do not change it.
   *
   * @example
   * const g = index.hnsw.graph();
   * g.neighborsOf(g.entryPoint, g.maxLevel);   // Int32Array of the entry point's links on the top level
   */
  graph(): HNSWGraph {
    return new HNSWGraph(this.owner.hnswGraph());
  }
}

/** One level's links, as HNSWGraph.degrees() counts them. */
export interface LevelDegrees {
  level: number;
  /** Nodes on this level (those with levels[i] > level). */
  nodes: number;
  /** Link slots per node on this level (2*M on level 0, M above). */
  slots: number;
  /** Links per node: mean, least and most (unused slots hold -1 and are not links). */
  meanDegree: number;
  minDegree: number;
  maxDegree: number;
}

/**
 * An HNSW index's graph, copied out of faiss: the arrays of faiss's HNSW struct
 * under their names, camelCased (Python: faiss.vector_to_array(index.hnsw.neighbors)).
 * Node i (the vector labelled i) lives on levels 0 .. levels[i]-1; its links on
 * level l are neighbors[offsets[i] + cumNneighborPerLevel[l] .. offsets[i] +
 * cumNneighborPerLevel[l+1]), the unused slots at the end holding -1.
 */
export class HNSWGraph {
  /** Per node, the number of levels it is on (faiss: "base level = 1"); size ntotal. */
  readonly levels: Int32Array;
  /** offsets[i]: where node i's links start in neighbors; size ntotal + 1 (size_t in faiss). */
  readonly offsets: Float64Array;
  /** Every node's links, level 0 first, -1 in unused slots. */
  readonly neighbors: Int32Array;
  /** Link slots below each level, cumulated: level l has cumNneighborPerLevel[l+1] - [l] slots. */
  readonly cumNneighborPerLevel: Int32Array;
  /** Probability of a new node's top level (sum 1). */
  readonly assignProbas: Float64Array;
  /** Where every search starts: a node on the top level (-1 while empty). */
  readonly entryPoint: number;
  /** The top level (-1 while empty). */
  readonly maxLevel: number;
  readonly efConstruction: number;
  readonly efSearch: number;
  /** Entry points kept on the upper levels (1 in every index faiss builds). */
  readonly upperBeam: number;
  /** faiss's search_bounded_queue (true unless changed in C++). */
  readonly searchBoundedQueue: boolean;
  readonly checkRelativeDistance: boolean;

  /** @internal From the addon's copy (index.hnsw.graph()). */
  constructor(g: NativeHNSWGraph) {
    this.levels = g.levels;
    this.offsets = g.offsets;
    this.neighbors = g.neighbors;
    this.cumNneighborPerLevel = g.cumNneighborPerLevel;
    this.assignProbas = g.assignProbas;
    this.entryPoint = g.entryPoint;
    this.maxLevel = g.maxLevel;
    this.efConstruction = g.efConstruction;
    this.efSearch = g.efSearch;
    this.upperBeam = g.upperBeam;
    this.searchBoundedQueue = g.searchBoundedQueue;
    this.checkRelativeDistance = g.checkRelativeDistance;
  }

  /** Number of nodes (the index's ntotal). */
  get ntotal(): number {
    return this.levels.length;
  }

  /** Link slots per node on a level, faiss's nb_neighbors(level). */
  nbNeighbors(level: number): number {
    this.checkLevel(level, this.cumNneighborPerLevel.length - 2);
    return this.cumNneighborPerLevel[level + 1] - this.cumNneighborPerLevel[level];
  }

  /** [begin, end) of node no's slots on a level in neighbors, faiss's neighbor_range. */
  neighborRange(no: number, level: number): [number, number] {
    checkInteger(no, 'no (a node)', 0, this.ntotal - 1);
    this.checkLevel(level, this.cumNneighborPerLevel.length - 2);
    const o = this.offsets[no];
    return [o + this.cumNneighborPerLevel[level], o + this.cumNneighborPerLevel[level + 1]];
  }

  /** Node no's links on a level (its used slots; empty above its top level). */
  neighborsOf(no: number, level: number): Int32Array {
    const [begin, end] = this.neighborRange(no, level);
    if (level >= this.levels[no]) return new Int32Array(0);
    let e = begin;
    while (e < end && this.neighbors[e] >= 0) e++;
    return this.neighbors.slice(begin, e);
  }

  /** Nodes per level, level 0 first (level 0 holds them all). */
  levelSizes(): number[] {
    const sizes = new Array<number>(Math.max(0, this.maxLevel + 1)).fill(0);
    for (const l of this.levels) for (let level = 0; level < l; level++) sizes[level]++;
    return sizes;
  }

  /** Links per node on each level, level 0 first: what M changes. */
  degrees(): LevelDegrees[] {
    const out: LevelDegrees[] = [];
    for (let level = 0; level <= this.maxLevel; level++) {
      const slots = this.nbNeighbors(level);
      let nodes = 0;
      let sum = 0;
      let min = Infinity;
      let max = 0;
      for (let i = 0; i < this.ntotal; i++) {
        if (this.levels[i] <= level) continue;
        const begin = this.offsets[i] + this.cumNneighborPerLevel[level];
        let deg = 0;
        while (deg < slots && this.neighbors[begin + deg] >= 0) deg++;
        nodes++;
        sum += deg;
        min = Math.min(min, deg);
        max = Math.max(max, deg);
      }
      out.push({
        level,
        nodes,
        slots,
        meanDegree: nodes ? sum / nodes : 0,
        minDegree: nodes ? min : 0,
        maxDegree: max,
      });
    }
    return out;
  }

  private checkLevel(level: number, top: number): void {
    if (!Number.isInteger(level) || level < 0 || level > top) {
      throw invalid('level', `an integer from 0 to ${top} (the levels faiss keeps slots for)`, level);
    }
  }
}

/**
 * The graph of an HNSW index (an IndexHNSWFlat, SQ or PQ, as built or read):
 * index.hnsw.graph(), with an error naming what was passed otherwise.
 */
export function hnswGraph(index: unknown): HNSWGraph {
  if (!(index instanceof IndexHNSW)) {
    const inner = (index as { index?: unknown })?.index;
    const hint =
      inner instanceof IndexHNSW ? ' (an IDMap over one: pass idmap.index; its node numbers are positions)' : '';
    throw invalid('index', 'an HNSW index (IndexHNSWFlat, IndexHNSWSQ, IndexHNSWPQ)' + hint, index);
  }
  return index.hnsw.graph();
}

/** Any HNSW index (as read from a file or built by indexFactory). */
export class IndexHNSW extends Index {
  /** hnsw.efSearch, as a query argument. */
  get efSearch(): number {
    return this.hnsw.efSearch;
  }
  set efSearch(v: number) {
    this.hnsw.efSearch = v;
  }

  protected override queryArgumentNames(): string[] {
    return ['efSearch'];
  }

  /** Graph parameters: hnsw.efSearch, hnsw.efConstruction, hnsw.M. */
  get hnsw(): HNSWParameters {
    return new HNSWParameters(this.native);
  }

  override searchParametersFiltering(sel: IDSelector): SearchParametersHNSW {
    return new SearchParametersHNSW({ sel, efSearch: this.hnsw.efSearch });
  }

  protected override checkSearchParams(params: SearchParameters): void {
    if (!(params instanceof SearchParametersHNSW)) {
      throw new ArgumentError(
        `an ${this.className} takes SearchParametersHNSW({ efSearch, sel }), not ${params.constructor.name}`,
      );
    }
  }

  protected override rangeSearchRefusal(via: string): string | undefined {
    return (
      `faiss 1.7.3 has no range search for an ${this.className}${via} (Index::range_search: "range search not implemented"): ` +
      'use an IndexFlat (exact) or an IndexIVFFlat, or search(xq, k) with a large k and keep the hits within the radius'
    );
  }

  protected override mergeRefusal(outer: Index): string | undefined {
    return (
      `faiss 1.7.3 cannot merge HNSW graphs ("merge_from() not implemented"): add the other's vectors instead, ` +
      'index.add(other.reconstructN(0, other.ntotal))' +
      (outer === this ? '' : ' (with their ids, for an IDMap2)')
    );
  }
}

/**
 * Approximate search on a hierarchical navigable small-world graph over full
 * vectors, faiss.IndexHNSWFlat(d, M, metric). Needs no training.
 */
export class IndexHNSWFlat extends IndexHNSW {
  constructor(d: number, M = 32, metric: MetricType = MetricType.L2) {
    super(native.newHNSWFlat(checkInt32(d, 'd', 1), checkInt32(M, 'M', HNSW_M_MIN, HNSW_M_MAX), checkMetric(metric)));
  }
}

registerClass('HNSW', IndexHNSW);
registerClass('HNSWFlat', IndexHNSWFlat);
