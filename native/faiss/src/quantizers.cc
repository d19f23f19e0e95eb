// The quantizing indexes: faiss's IndexPQ, IndexIVFPQ, IndexScalarQuantizer,
// IndexIVFScalarQuantizer, IndexHNSWSQ and IndexHNSWPQ. Constructors, their
// read-only parameters and the standalone codec (sa_encode / sa_decode).
//
// The TS layer (src/search/faiss.ts) checks every argument against what faiss 1.7.3
// runs safely; the checks here keep a direct call into the addon from the
// parameters that take the process down (nbits 0 or beyond 16, an SQ distance by
// L1/Linf inside HNSW's parallel add, a list number beyond nlist in sa_decode's parallel loop).
#include "quantizers.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPQ.h>
#include <faiss/IndexScalarQuantizer.h>

#include <cstring>

#include "args.h"
#include "errors.h"
#include "index_wrap.h"

namespace faisslab {
namespace {

// ScalarQuantizer::QuantizerType, without QT_8bit_direct (5), which casts floats to
// bytes without clamping them.
faiss::ScalarQuantizer::QuantizerType qtype(const Napi::CallbackInfo& info, size_t i) {
  int64_t t = integer(info, i, "qtype", 0, 6);
  if (t == faiss::ScalarQuantizer::QT_8bit_direct) {
    throw Napi::RangeError::New(info.Env(), "qtype QT_8bit_direct is not supported here");
  }
  return static_cast<faiss::ScalarQuantizer::QuantizerType>(t);
}

// L2 or inner product: faiss 1.7.3's PQ search takes any other metric for inner
// product, its SQ distances throw on them (inside HNSW's parallel add: an abort).
faiss::MetricType l2OrIP(const Napi::CallbackInfo& info, size_t i) {
  faiss::MetricType m = metric(info, i);
  if (m != faiss::METRIC_L2 && m != faiss::METRIC_INNER_PRODUCT) {
    throw Napi::RangeError::New(info.Env(), "metric must be L2 or INNER_PRODUCT for a quantizing index");
  }
  return m;
}

void checkPQ(const Napi::CallbackInfo& info, int64_t d, int64_t M) {
  if (d % M != 0) {
    throw Napi::RangeError::New(info.Env(), "M=" + std::to_string(M) + " must divide d=" + std::to_string(d));
  }
}

const faiss::ProductQuantizer* productQuantizerOf(const faiss::Index* idx) {
  if (auto* p = dynamic_cast<const faiss::IndexPQ*>(idx)) return &p->pq;
  if (auto* p = dynamic_cast<const faiss::IndexIVFPQ*>(idx)) return &p->pq;
  if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(idx)) {
    if (auto* p = dynamic_cast<const faiss::IndexPQ*>(h->storage)) return &p->pq;
  }
  return nullptr;
}

const faiss::ScalarQuantizer* scalarQuantizerOf(const faiss::Index* idx) {
  if (auto* s = dynamic_cast<const faiss::IndexScalarQuantizer*>(idx)) return &s->sq;
  if (auto* s = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(idx)) return &s->sq;
  if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(idx)) {
    if (auto* s = dynamic_cast<const faiss::IndexScalarQuantizer*>(h->storage)) return &s->sq;
  }
  return nullptr;
}

// The index whose codes sa_encode / sa_decode handle: a flat-codes index or an IVF.
bool hasCodec(const faiss::Index* idx) {
  return dynamic_cast<const faiss::IndexFlatCodes*>(idx) || dynamic_cast<const faiss::IndexIVF*>(idx);
}

Napi::Value make(Napi::Env env, faiss::Index* idx) { return IndexWrap::Make(env, idx, true, nullptr, {}); }

// An IVF built on the quantizer passed as info[0], as NewIVFFlat does.
Napi::Value makeIVF(const Napi::CallbackInfo& info, IndexWrap* q, faiss::Index* idx) {
  return IndexWrap::Make(info.Env(), idx, true, q->busy, {info[0].As<Napi::Object>()}, nullptr, q);
}

}  // namespace

bool quantizerParam(Napi::Env env, const faiss::Index* idx, const std::string& name, double* out) {
  if (name.rfind("pq", 0) == 0) {
    const faiss::ProductQuantizer* pq = productQuantizerOf(idx);
    if (!pq) throw Napi::TypeError::New(env, "this index has no product quantizer");
    if (name == "pqM") *out = static_cast<double>(pq->M);
    else if (name == "pqNbits") *out = static_cast<double>(pq->nbits);
    else if (name == "pqKsub") *out = static_cast<double>(pq->ksub);
    else if (name == "pqDsub") *out = static_cast<double>(pq->dsub);
    else if (name == "pqCodeSize") *out = static_cast<double>(pq->code_size);
    else return false;
    return true;
  }
  if (name == "sqType" || name == "sqCodeSize") {
    const faiss::ScalarQuantizer* sq = scalarQuantizerOf(idx);
    if (!sq) throw Napi::TypeError::New(env, "this index has no scalar quantizer");
    *out = name == "sqType" ? static_cast<double>(sq->qtype) : static_cast<double>(sq->code_size);
    return true;
  }
  if (name == "codeSize") {
    const faiss::Index* s = idx;
    if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(idx)) s = h->storage;
    if (auto* c = dynamic_cast<const faiss::IndexFlatCodes*>(s)) *out = static_cast<double>(c->code_size);
    else if (auto* v = dynamic_cast<const faiss::IndexIVF*>(s)) *out = static_cast<double>(v->code_size);
    else throw Napi::TypeError::New(env, "this index stores no codes");
    return true;
  }
  if (name == "saCodeSize") {
    if (!hasCodec(idx)) throw Napi::TypeError::New(env, "this index has no standalone codec");
    *out = static_cast<double>(guarded(env, [&] { return idx->sa_code_size(); }));
    return true;
  }
  if (name == "byResidual") {
    if (auto* p = dynamic_cast<const faiss::IndexIVFPQ*>(idx)) *out = p->by_residual;
    else if (auto* s = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(idx)) *out = s->by_residual;
    else throw Napi::TypeError::New(env, "this index is not an IndexIVFPQ or IndexIVFScalarQuantizer");
    return true;
  }
  if (name == "polysemous") {
    const faiss::Index* s = idx;
    if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(idx)) s = h->storage;
    if (auto* p = dynamic_cast<const faiss::IndexPQ*>(s)) *out = p->do_polysemous_training;
    else if (auto* v = dynamic_cast<const faiss::IndexIVFPQ*>(s)) *out = v->do_polysemous_training;
    else throw Napi::TypeError::New(env, "this index has no product quantizer");
    return true;
  }
  if (name == "precomputedTable") {
    auto* p = dynamic_cast<const faiss::IndexIVFPQ*>(idx);
    if (!p) throw Napi::TypeError::New(env, "this index is not an IndexIVFPQ");
    *out = static_cast<double>(p->precomputed_table.size());
    return true;
  }
  return false;
}

void setByResidual(Napi::Env env, faiss::Index* idx, bool on) {
  if (idx->is_trained || idx->ntotal > 0) {
    throw Napi::Error::New(env, "by_residual changes how vectors are encoded: set it before training");
  }
  if (auto* p = dynamic_cast<faiss::IndexIVFPQ*>(idx)) p->by_residual = on;
  else if (auto* s = dynamic_cast<faiss::IndexIVFScalarQuantizer*>(idx)) s->by_residual = on;
  else throw Napi::TypeError::New(env, "this index is not an IndexIVFPQ or IndexIVFScalarQuantizer");
}

// ---- constructors -------------------------------------------------------------------

// newPQ(d, M, nbits, metric): faiss.IndexPQ (nbits 1..16).
Napi::Value NewPQ(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t d = integer(info, 0, "d", 1);
  int64_t M = integer(info, 1, "M", 1, d);
  int64_t nbits = integer(info, 2, "nbits", 1, 16);
  faiss::MetricType m = l2OrIP(info, 3);
  checkPQ(info, d, M);
  return make(env, guarded(env, [&] { return new faiss::IndexPQ(d, M, nbits, m); }));
}

// newIVFPQ(quantizer, d, nlist, M, nbits, metric): faiss.IndexIVFPQ (nbits 1..8).
Napi::Value NewIVFPQ(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IndexWrap* q = IndexWrap::FromValue(info[0], "quantizer");
  int64_t d = integer(info, 1, "d", 1);
  int64_t nlist = integer(info, 2, "nlist", 1, 1 << 20);
  int64_t M = integer(info, 3, "M", 1, d);
  int64_t nbits = integer(info, 4, "nbits", 1, 8);
  faiss::MetricType m = l2OrIP(info, 5);
  checkPQ(info, d, M);
  faiss::Index* qi = q->live(env);
  if (qi->d != d) throw Napi::RangeError::New(env, "the quantizer's d differs");
  return makeIVF(info, q, guarded(env, [&] { return new faiss::IndexIVFPQ(qi, d, nlist, M, nbits, m); }));
}

// newSQ(d, qtype, metric): faiss.IndexScalarQuantizer.
Napi::Value NewSQ(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t d = integer(info, 0, "d", 1);
  auto t = qtype(info, 1);
  faiss::MetricType m = l2OrIP(info, 2);
  return make(env, guarded(env, [&] { return new faiss::IndexScalarQuantizer(d, t, m); }));
}

// newIVFSQ(quantizer, d, nlist, qtype, metric, byResidual): faiss.IndexIVFScalarQuantizer.
Napi::Value NewIVFSQ(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IndexWrap* q = IndexWrap::FromValue(info[0], "quantizer");
  int64_t d = integer(info, 1, "d", 1);
  int64_t nlist = integer(info, 2, "nlist", 1, 1 << 20);
  auto t = qtype(info, 3);
  faiss::MetricType m = l2OrIP(info, 4);
  bool byResidual = info[5].ToBoolean();
  faiss::Index* qi = q->live(env);
  if (qi->d != d) throw Napi::RangeError::New(env, "the quantizer's d differs");
  return makeIVF(info, q, guarded(env, [&] { return new faiss::IndexIVFScalarQuantizer(qi, d, nlist, t, m, byResidual); }));
}

// newHNSWSQ(d, qtype, M, metric): faiss.IndexHNSWSQ.
Napi::Value NewHNSWSQ(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t d = integer(info, 0, "d", 1);
  auto t = qtype(info, 1);
  int64_t M = integer(info, 2, "M", 2, 512);
  faiss::MetricType m = l2OrIP(info, 3);
  return make(env, guarded(env, [&] { return new faiss::IndexHNSWSQ(d, t, M, m); }));
}

// newHNSWPQ(d, pqM, M): faiss.IndexHNSWPQ (8-bit codes, L2: faiss 1.7.3 takes no metric).
Napi::Value NewHNSWPQ(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t d = integer(info, 0, "d", 1);
  int64_t pqM = integer(info, 1, "pqM", 1, d);
  int64_t M = integer(info, 2, "M", 2, 512);
  checkPQ(info, d, pqM);
  return make(env, guarded(env, [&] { return new faiss::IndexHNSWPQ(d, pqM, M); }));
}

// ---- the standalone codec -----------------------------------------------------------

// saEncode(x): faiss's sa_encode, n * sa_code_size bytes (an IVF's start with the list number).
Napi::Value IndexWrap::SaEncode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto x = floats(info, 0, "x");
  faiss::Index* idx = live(env);
  if (!hasCodec(idx)) throw Napi::TypeError::New(env, "this index has no standalone codec");
  if (!idx->is_trained) throw Napi::Error::New(env, "the index is not trained");
  checkCanRead(env);
  int64_t n = rows(env, idx, x);
  size_t cs = guarded(env, [&] { return idx->sa_code_size(); });
  auto out = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(n) * cs);
  if (n > 0) guarded(env, [&] { idx->sa_encode(n, x.Data(), out.Data()); });
  return out;
}

// saDecode(codes, out): faiss's sa_decode into out (n*d floats). An IVF code's list
// number must name a list.
Napi::Value IndexWrap::SaDecode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "codes must be a Uint8Array");
  }
  auto codes = info[0].As<Napi::Uint8Array>();
  auto out = floats(info, 1, "out");
  faiss::Index* idx = live(env);
  if (!hasCodec(idx)) throw Napi::TypeError::New(env, "this index has no standalone codec");
  if (!idx->is_trained) throw Napi::Error::New(env, "the index is not trained");
  checkCanRead(env);
  size_t cs = guarded(env, [&] { return idx->sa_code_size(); });
  size_t len = codes.ByteLength();
  if (cs == 0 || len % cs != 0) throw Napi::RangeError::New(env, "codes must hold n * sa_code_size bytes");
  int64_t n = static_cast<int64_t>(len / cs);
  if (out.ElementLength() != static_cast<size_t>(n * idx->d)) throw Napi::RangeError::New(env, "out must hold n*d floats");
  std::vector<uint8_t> copy(codes.Data(), codes.Data() + len);  // checked bytes only
  if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(idx)) {
    // Read here as faiss's decode_listno does (little-endian): faiss checks it inside
    // sa_decode's parallel loop, where its exception would end the process.
    size_t coarse = ivf->coarse_code_size();
    for (int64_t i = 0; i < n; i++) {
      uint64_t list = 0;
      for (size_t b = 0; b < coarse; b++) list |= static_cast<uint64_t>(copy[i * cs + b]) << (8 * b);
      if (list >= ivf->nlist) {
        throw Napi::RangeError::New(env, "code " + std::to_string(i) + " names list " + std::to_string(list) +
                                             ", but the index has nlist=" + std::to_string(ivf->nlist));
      }
    }
  }
  if (n > 0) guarded(env, [&] { idx->sa_decode(n, copy.data(), out.Data()); });
  return env.Undefined();
}

// codebook(): a copy of the product quantizer's centroids (M * ksub * dsub floats) or
// the scalar quantizer's trained ranges; null for other indexes.
Napi::Value IndexWrap::Codebook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  faiss::Index* idx = live(env);
  checkCanRead(env);
  const std::vector<float>* v = nullptr;
  if (auto* pq = productQuantizerOf(idx)) v = &pq->centroids;
  else if (auto* sq = scalarQuantizerOf(idx)) v = &sq->trained;
  if (!v) return env.Null();
  auto out = Napi::Float32Array::New(env, v->size());
  if (!v->empty()) std::memcpy(out.Data(), v->data(), v->size() * sizeof(float));
  return out;
}

}  // namespace faisslab
