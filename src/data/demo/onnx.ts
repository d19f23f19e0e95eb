// A minimal ONNX writer: just enough protobuf (onnx.proto field numbers) to build
// the small graphs of the tiny generated models (tiny-models.ts).

type Bytes = number[];

function varint(out: Bytes, v: number | bigint): void {
  let x = BigInt.asUintN(64, BigInt(v));
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
}

/** A protobuf message under construction. */
class Msg {
  readonly bytes: Bytes = [];
  int(field: number, v: number | bigint): this {
    varint(this.bytes, (field << 3) | 0);
    varint(this.bytes, v);
    return this;
  }
  float(field: number, v: number): this {
    varint(this.bytes, (field << 3) | 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.bytes.push(...b);
    return this;
  }
  raw(field: number, data: Uint8Array | Bytes): this {
    varint(this.bytes, (field << 3) | 2);
    varint(this.bytes, data.length);
    for (let i = 0; i < data.length; i++) this.bytes.push(data[i]);
    return this;
  }
  str(field: number, s: string): this {
    return this.raw(field, Buffer.from(s, 'utf8'));
  }
  msg(field: number, m: Msg): this {
    return this.raw(field, m.bytes);
  }
}

export const FLOAT = 1;
export const UINT8 = 2;
export const INT64 = 7;

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[]>;
}

export interface Tensor {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array | Uint8Array;
}

export interface ValueInfo {
  name: string;
  type: number;
  shape: Array<number | string>;
}

function valueInfo(v: ValueInfo): Msg {
  const shape = new Msg();
  for (const d of v.shape) shape.msg(1, typeof d === 'number' ? new Msg().int(1, d) : new Msg().str(2, d));
  const tensorType = new Msg().int(1, v.type).msg(2, shape);
  return new Msg().str(1, v.name).msg(2, new Msg().msg(1, tensorType));
}

function tensor(t: Tensor): Msg {
  const m = new Msg();
  for (const d of t.dims) m.int(1, d);
  m.int(2, t.data instanceof Float32Array ? FLOAT : t.data instanceof Uint8Array ? UINT8 : INT64);
  m.str(8, t.name);
  return m.raw(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function node(n: Node, i: number): Msg {
  const m = new Msg();
  for (const x of n.inputs) m.str(1, x);
  for (const x of n.outputs) m.str(2, x);
  m.str(3, `${n.op}_${i}`).str(4, n.op);
  for (const [name, v] of Object.entries(n.attrs ?? {})) {
    const a = new Msg().str(1, name);
    if (Array.isArray(v)) {
      for (const x of v) a.int(8, x);
      a.int(20, 7); // INTS
    } else {
      a.int(3, v).int(20, 2); // INT
    }
    m.msg(5, a);
  }
  return m;
}

export interface Graph {
  nodes: Node[];
  initializers: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

/** Serialises a graph as an ONNX model (IR 8, opset 13). */
export function onnxModel(name: string, g: Graph): Buffer {
  const graph = new Msg();
  g.nodes.forEach((n, i) => {
    graph.msg(1, node(n, i));
  });
  graph.str(2, name);
  for (const t of g.initializers) graph.msg(5, tensor(t));
  for (const v of g.inputs) graph.msg(11, valueInfo(v));
  for (const v of g.outputs) graph.msg(12, valueInfo(v));
  const model = new Msg()
    .int(1, 8)
    .str(2, 'vector-search-lab tiny model')
    .msg(7, graph)
    .msg(8, new Msg().str(1, '').int(2, 13));
  return Buffer.from(model.bytes);
}
