#include "index_wrap.h"

#include <cxxabi.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/clone_index.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/index_factory.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_io.h>
#include <faiss/impl/io.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "args.h"
#include "errors.h"
#include "params.h"
#include "quantizers.h"
#include "workers.h"

namespace faisslab {
namespace {

struct MakeArgs {
  faiss::Index* idx;
  bool owned;
  std::shared_ptr<Busy> busy;
};

// A path for C: a NUL byte would silently cut it short (and write elsewhere).
std::string pathArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
  std::string path = info[i].As<Napi::String>();
  if (path.empty() || path.find('\0') != std::string::npos) {
    throw Napi::Error::New(info.Env(), "path must be non-empty and contain no NUL byte");
  }
  return path;
}

faiss::IndexHNSW* asHNSW(Napi::Env env, faiss::Index* idx) {
  auto* h = dynamic_cast<faiss::IndexHNSW*>(idx);
  if (!h) throw Napi::TypeError::New(env, "this index is not an HNSW index");
  return h;
}

faiss::IndexIVF* asIVF(Napi::Env env, faiss::Index* idx) {
  auto* v = dynamic_cast<faiss::IndexIVF*>(idx);
  if (!v) throw Napi::TypeError::New(env, "this index is not an IVF index");
  return v;
}

std::string demangledName(const faiss::Index* idx) {
  const char* mangled = typeid(*idx).name();
  int status = 0;
  char* s = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && s ? s : mangled;
  std::free(s);
  if (name.rfind("faiss::", 0) == 0) name = name.substr(7);
  return name;
}

}  // namespace

// ---- construction / lifetime ------------------------------------------------

Napi::Function IndexWrap::Define(Napi::Env env) {
  Napi::Function ctor = DefineClass(
      env, "NativeIndex",
      {
          InstanceMethod<&IndexWrap::D>("d"),
          InstanceMethod<&IndexWrap::Ntotal>("ntotal"),
          InstanceMethod<&IndexWrap::MetricType>("metricType"),
          InstanceMethod<&IndexWrap::IsTrained>("isTrained"),
          InstanceMethod<&IndexWrap::ClassName>("className"),
          InstanceMethod<&IndexWrap::Add>("add"),
          InstanceMethod<&IndexWrap::AddWithIds>("addWithIds"),
          InstanceMethod<&IndexWrap::Train>("train"),
          InstanceMethod<&IndexWrap::Search>("search"),
          InstanceMethod<&IndexWrap::AddAsync>("addAsync"),
          InstanceMethod<&IndexWrap::AddWithIdsAsync>("addWithIdsAsync"),
          InstanceMethod<&IndexWrap::TrainAsync>("trainAsync"),
          InstanceMethod<&IndexWrap::SearchAsync>("searchAsync"),
          InstanceMethod<&IndexWrap::RangeSearch>("rangeSearch"),
          InstanceMethod<&IndexWrap::RangeSearchAsync>("rangeSearchAsync"),
          InstanceMethod<&IndexWrap::Reset>("reset"),
          InstanceMethod<&IndexWrap::RemoveIds>("removeIds"),
          InstanceMethod<&IndexWrap::Reconstruct>("reconstruct"),
          InstanceMethod<&IndexWrap::ReconstructN>("reconstructN"),
          InstanceMethod<&IndexWrap::ReconstructBatch>("reconstructBatch"),
          InstanceMethod<&IndexWrap::SetDirectMap>("setDirectMap"),
          InstanceMethod<&IndexWrap::MergeFrom>("mergeFrom"),
          InstanceMethod<&IndexWrap::GetParam>("getParam"),
          InstanceMethod<&IndexWrap::SetParam>("setParam"),
          InstanceMethod<&IndexWrap::Sub>("sub"),
          InstanceMethod<&IndexWrap::Serialize>("serialize"),
          InstanceMethod<&IndexWrap::Write>("write"),
          InstanceMethod<&IndexWrap::CheckRead>("checkRead"),
          InstanceMethod<&IndexWrap::CheckWrite>("checkWrite"),
          InstanceMethod<&IndexWrap::Dispose>("dispose"),
          InstanceMethod<&IndexWrap::Disposed>("disposed"),
          InstanceMethod<&IndexWrap::SaEncode>("saEncode"),
          InstanceMethod<&IndexWrap::SaDecode>("saDecode"),
          InstanceMethod<&IndexWrap::Codebook>("codebook"),
          InstanceMethod<&IndexWrap::HnswGraph>("hnswGraph"),
          InstanceMethod<&IndexWrap::Invlists>("invlists"),
      });
  env.SetInstanceData<Napi::FunctionReference>(new Napi::FunctionReference(Napi::Persistent(ctor)));
  return ctor;
}

Napi::Object IndexWrap::Make(Napi::Env env, faiss::Index* idx, bool owned, std::shared_ptr<Busy> busy,
                             const std::vector<Napi::Object>& keepAlive, const IndexWrap* viewOf,
                             const IndexWrap* builtOn) {
  MakeArgs args{idx, owned, busy ? std::move(busy) : std::make_shared<Busy>()};
  Napi::Object obj;
  try {
    obj = env.GetInstanceData<Napi::FunctionReference>()->New({Napi::External<MakeArgs>::New(env, &args)});
  } catch (...) {
    if (owned) delete idx;
    throw;
  }
  IndexWrap* self = Napi::ObjectWrap<IndexWrap>::Unwrap(obj);
  for (const auto& o : keepAlive) self->keepAlive_.push_back(Napi::Persistent(o));
  if (viewOf) {
    // A view lives and is used through its owner: building on it pins the owner.
    self->alive_ = viewOf->alive_;
    self->usedBy_ = viewOf->usedBy_;
  }
  if (builtOn) {
    self->uses_ = builtOn->usedBy_;
    ++*self->uses_;
  }
  return obj;
}

IndexWrap::IndexWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<IndexWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "NativeIndex cannot be constructed directly; use the index classes");
  }
  MakeArgs* args = info[0].As<Napi::External<MakeArgs>>().Data();
  index_ = args->idx;
  owned_ = args->owned;
  busy = args->busy;
}

IndexWrap::~IndexWrap() {
  release();
  if (owned_) delete index_;
}

// No longer counts as a user of the index it was built on. (A shared counter, not
// a pointer to that wrapper: at exit, finalizers run in no particular order.)
void IndexWrap::release() {
  if (uses_) --*uses_;
  uses_.reset();
}

faiss::Index* IndexWrap::live(Napi::Env env) const {
  if (!*alive_) {
    throw Napi::Error::New(env, "this index was disposed (dispose() freed its memory): build or read it again");
  }
  return index_;
}

// Frees the faiss index now instead of when the garbage collector gets to it.
Napi::Value IndexWrap::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!*alive_) return env.Undefined();
  if (!owned_) {
    throw Napi::Error::New(env, "this index lives inside another one (an IVF's quantizer, an IDMap's index): dispose that one");
  }
  checkCanWrite(env);
  if (*usedBy_ > 0) {
    throw Napi::Error::New(env, "another index is built on this one (as its quantizer, or wrapped by an IDMap): dispose that one first");
  }
  *alive_ = false;
  delete index_;
  index_ = nullptr;
  owned_ = false;
  release();
  for (auto& r : keepAlive_) r.Reset();
  keepAlive_.clear();
  return env.Undefined();
}

Napi::Value IndexWrap::Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !*alive_); }

IndexWrap* IndexWrap::FromValue(Napi::Value v, const char* what) {
  Napi::Env env = v.Env();
  if (v.IsObject()) {
    Napi::Object o = v.As<Napi::Object>();
    Napi::FunctionReference* ctor = env.GetInstanceData<Napi::FunctionReference>();
    if (o.InstanceOf(ctor->Value())) return Napi::ObjectWrap<IndexWrap>::Unwrap(o);
  }
  throw Napi::TypeError::New(env, std::string(what) + " must be a native index");
}

void IndexWrap::checkCanRead(Napi::Env env) const {
  live(env);
  if (busy->writer) {
    throw Napi::Error::New(env, "index is busy: an async add or train on it has not finished; await it first");
  }
}

void IndexWrap::checkCanWrite(Napi::Env env) const {
  live(env);
  if (busy->writer || busy->readers > 0) {
    throw Napi::Error::New(env, "index is busy: an async operation on it has not finished; await it first");
  }
}

// ---- properties ----------------------------------------------------------------

Napi::Value IndexWrap::D(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), live(info.Env())->d); }

Napi::Value IndexWrap::Ntotal(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(live(info.Env())->ntotal));
}

Napi::Value IndexWrap::MetricType(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(live(info.Env())->metric_type));
}

Napi::Value IndexWrap::IsTrained(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), live(info.Env())->is_trained);
}

// faiss's name of the exact class (an IndexIVFFlatDedup is not called an
// IndexIVFFlat), as Python's type(faiss.downcast_index(index)).__name__.
Napi::Value IndexWrap::ClassName(const Napi::CallbackInfo& info) {
  const faiss::Index* i = live(info.Env());
  // The IDMaps are templates (IndexIDMapTemplate<Index>): their C++ names are not faiss's.
  if (typeid(*i) == typeid(faiss::IndexIDMap2)) return Napi::String::New(info.Env(), "IndexIDMap2");
  if (typeid(*i) == typeid(faiss::IndexIDMap)) return Napi::String::New(info.Env(), "IndexIDMap");
  return Napi::String::New(info.Env(), demangledName(i));
}

// ---- add / train / search -----------------------------------------------------

// Each of add / addWithIds / train / search parses its arguments once into a Job;
// the sync method runs it here, the async one on the thread pool.
struct IndexWrap::Job {
  Access access;
  std::vector<Napi::Value> keepAlive;  // typed arrays the work reads or fills
  std::function<void()> work;
  ResultMaker result = nullptr;  // the call's value, made on the JS thread afterwards
};

Napi::Value IndexWrap::Run(const Napi::CallbackInfo& info, Job job, bool async) {
  Napi::Env env = info.Env();
  if (job.access == Access::Write) checkCanWrite(env); else checkCanRead(env);
  if (!async) {
    guarded(env, job.work);
    return job.result ? job.result(env) : env.Undefined();
  }
  job.keepAlive.push_back(info.This());
  return runAsync(env, this, job.access, std::move(job.keepAlive), std::move(job.work), std::move(job.result));
}

IndexWrap::Job IndexWrap::AddJob(const Napi::CallbackInfo& info) {
  auto x = floats(info, 0, "x");
  int64_t n = rows(info.Env(), live(info.Env()), x);
  faiss::Index* idx = index_;
  const float* px = x.Data();
  auto* ivf = dynamic_cast<faiss::IndexIVF*>(idx);
  if (ivf && ivf->direct_map.type == faiss::DirectMap::Hashtable) {
    // faiss 1.7.3 files vectors added without ids under an uninitialised number in a
    // hash-table direct map: give them their ids, ntotal.., explicitly (the same ids).
    return {Access::Write, {x}, [=] {
              std::vector<int64_t> ids(n);
              for (int64_t i = 0; i < n; i++) ids[i] = ivf->ntotal + i;
              ivf->add_with_ids(n, px, ids.data());
            }};
  }
  return {Access::Write, {x}, [=] { idx->add(n, px); }};
}

IndexWrap::Job IndexWrap::AddWithIdsJob(const Napi::CallbackInfo& info) {
  auto x = floats(info, 0, "x");
  auto ids = int64s(info, 1, "ids");
  int64_t n = rows(info.Env(), live(info.Env()), x);
  if (static_cast<int64_t>(ids.ElementLength()) != n) throw Napi::RangeError::New(info.Env(), "ids must have one id per vector");
  faiss::Index* idx = index_;
  const float* px = x.Data();
  const int64_t* pids = ids.Data();
  return {Access::Write, {x, ids}, [=] { idx->add_with_ids(n, px, pids); }};
}

IndexWrap::Job IndexWrap::TrainJob(const Napi::CallbackInfo& info) {
  auto x = floats(info, 0, "x");
  int64_t n = rows(info.Env(), live(info.Env()), x);
  faiss::Index* idx = index_;
  const float* px = x.Data();
  return {Access::Write, {x}, [=] { idx->train(n, px); }};
}

IndexWrap::Job IndexWrap::SearchJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto x = floats(info, 0, "x");
  int64_t k = integer(info, 1, "k", 1, 1 << 20);
  auto D = floats(info, 2, "distances");
  auto I = int64s(info, 3, "labels");
  int64_t n = rows(env, live(env), x);
  size_t want = static_cast<size_t>(n * k);
  if (D.ElementLength() != want || I.ElementLength() != want) {
    throw Napi::RangeError::New(env, "distances and labels must each hold n*k = " + std::to_string(want) + " values");
  }
  faiss::Index* idx = index_;
  auto params = searchParams(env, info[4], idx, true);
  const float* px = x.Data();
  float* pD = D.Data();
  int64_t* pI = I.Data();
  if (params && params->selectsNothing) {
    // Nothing selected: faiss's padding (label -1, the worst distance), without faiss.
    bool ip = idx->metric_type == faiss::METRIC_INNER_PRODUCT;
    return {Access::Read, {x, D, I}, [=] {
              for (size_t i = 0; i < want; i++) {
                pD[i] = ip ? -std::numeric_limits<float>::max() : std::numeric_limits<float>::max();
                pI[i] = -1;
              }
            }};
  }
  // faiss 1.7.3's flat L2 search for k = 1 starts from label 0 at distance +Infinity (SingleBestResultHandler),
  // so a query whose selector selects no stored vector answers label 0: faiss's padding (-1, FLT_MAX) instead.
  bool bestOfNone = k == 1 && params && params->params->sel && dynamic_cast<faiss::IndexFlat*>(idx) &&
                    idx->metric_type == faiss::METRIC_L2;
  return {Access::Read, {x, D, I}, [=] {
            idx->search(n, px, k, pD, pI, params ? params->params.get() : nullptr);
            if (!bestOfNone) return;
            for (int64_t i = 0; i < n; i++) {
              if (pI[i] == 0 && std::isinf(pD[i])) {
                pI[i] = -1;
                pD[i] = std::numeric_limits<float>::max();
              }
            }
          }};
}

namespace {

// A range search's answer, gathered chunk by chunk: faiss's lims (as doubles for
// JS: exact below 2^53), distances and labels.
struct RangeOut {
  std::vector<double> lims{0};
  std::vector<float> distances;
  std::vector<int64_t> labels;
};

Napi::Value rangeResult(Napi::Env env, const RangeOut& r) {
  Napi::Object o = Napi::Object::New(env);
  auto lims = Napi::Float64Array::New(env, r.lims.size());
  std::copy(r.lims.begin(), r.lims.end(), lims.Data());
  auto D = Napi::Float32Array::New(env, r.distances.size());
  std::copy(r.distances.begin(), r.distances.end(), D.Data());
  auto I = Napi::BigInt64Array::New(env, r.labels.size());
  std::copy(r.labels.begin(), r.labels.end(), I.Data());
  o.Set("lims", lims);
  o.Set("distances", D);
  o.Set("labels", I);
  return o;
}

}  // namespace

// rangeSearch(x, radius, maxResults, params?): faiss's range_search, in chunks of
// queries small enough that even a radius holding every vector cannot take more
// than maxResults (one query's worth more at most) before the count is checked:
// faiss allocates the results inside its parallel loops, where running out of
// memory would end the process.
IndexWrap::Job IndexWrap::RangeSearchJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto x = floats(info, 0, "x");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "radius must be a number");
  double r = info[1].As<Napi::Number>().DoubleValue();
  if (std::isnan(r)) throw Napi::RangeError::New(env, "radius must not be NaN");
  float radius = static_cast<float>(r);
  int64_t maxResults = integer(info, 2, "maxResults", 1, std::numeric_limits<int32_t>::max());
  faiss::Index* idx = live(env);
  int64_t n = rows(env, idx, x);
  auto params = searchParams(env, info[3], idx, false);
  const float* px = x.Data();
  auto out = std::make_shared<RangeOut>();
  return {Access::Read, {x}, [=] {
            const int64_t d = idx->d;
            const int64_t perQuery = std::max<int64_t>(1, idx->ntotal);
            int64_t done = 0;
            while (done < n) {
              int64_t room = maxResults - static_cast<int64_t>(out->labels.size());
              int64_t chunk = std::min<int64_t>(n - done, std::max<int64_t>(1, room / perQuery));
              faiss::RangeSearchResult res(chunk);
              idx->range_search(chunk, px + done * d, radius, &res, params ? params->params.get() : nullptr);
              size_t base = out->labels.size();
              size_t found = res.lims[chunk];
              if (static_cast<int64_t>(base + found) > maxResults) {
                throw LimitError("range search found more than maxResults = " + std::to_string(maxResults) +
                                 " results (" + std::to_string(base + found) + " by query " +
                                 std::to_string(done + chunk) + " of " + std::to_string(n) +
                                 "): use a smaller radius, fewer queries per call, or a larger maxResults");
              }
              out->distances.insert(out->distances.end(), res.distances, res.distances + found);
              out->labels.insert(out->labels.end(), res.labels, res.labels + found);
              for (int64_t i = 1; i <= chunk; i++) out->lims.push_back(static_cast<double>(base + res.lims[i]));
              done += chunk;
            }
          },
          [out](Napi::Env e) { return rangeResult(e, *out); }};
}

Napi::Value IndexWrap::Add(const Napi::CallbackInfo& info) { return Run(info, AddJob(info), false); }
Napi::Value IndexWrap::AddAsync(const Napi::CallbackInfo& info) { return Run(info, AddJob(info), true); }
Napi::Value IndexWrap::AddWithIds(const Napi::CallbackInfo& info) { return Run(info, AddWithIdsJob(info), false); }
Napi::Value IndexWrap::AddWithIdsAsync(const Napi::CallbackInfo& info) { return Run(info, AddWithIdsJob(info), true); }
Napi::Value IndexWrap::Train(const Napi::CallbackInfo& info) { return Run(info, TrainJob(info), false); }
Napi::Value IndexWrap::TrainAsync(const Napi::CallbackInfo& info) { return Run(info, TrainJob(info), true); }
Napi::Value IndexWrap::Search(const Napi::CallbackInfo& info) { return Run(info, SearchJob(info), false); }
Napi::Value IndexWrap::SearchAsync(const Napi::CallbackInfo& info) { return Run(info, SearchJob(info), true); }
Napi::Value IndexWrap::RangeSearch(const Napi::CallbackInfo& info) { return Run(info, RangeSearchJob(info), false); }
Napi::Value IndexWrap::RangeSearchAsync(const Napi::CallbackInfo& info) { return Run(info, RangeSearchJob(info), true); }

Napi::Value IndexWrap::Reset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  checkCanWrite(env);
  guarded(env, [&] {
    index_->reset();
    // faiss 1.7.3's IndexIDMap2 keeps its id -> vector table on reset: reconstruct(id)
    // would still answer for removed ids, reading a freed vector. Rebuild it (empty).
    if (auto* m2 = dynamic_cast<faiss::IndexIDMap2*>(index_)) m2->construct_rev_map();
  });
  return env.Undefined();
}

Napi::Value IndexWrap::RemoveIds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto ids = int64s(info, 0, "ids");
  checkCanWrite(env);
  size_t removed = guarded(env, [&]() -> size_t {
    // An IVF with a hashtable direct map removes only through an IDSelectorArray
    // (the same ids; faiss refuses a batch there).
    auto* ivf = dynamic_cast<faiss::IndexIVF*>(index_);
    if (ivf && ivf->direct_map.type == faiss::DirectMap::Hashtable) {
      std::vector<int64_t> copy(ids.Data(), ids.Data() + ids.ElementLength());
      faiss::IDSelectorArray sel(copy.size(), copy.data());
      return index_->remove_ids(sel);
    }
    faiss::IDSelectorBatch sel(ids.ElementLength(), ids.Data());
    return index_->remove_ids(sel);
  });
  return Napi::Number::New(env, static_cast<double>(removed));
}

namespace {

// Whether reconstruct(key) on idx reads its table without a bounds check (a flat,
// PQ or SQ index, or an HNSW one through its storage): then key must be below ntotal.
bool positional(const faiss::Index* idx) {
  return dynamic_cast<const faiss::IndexFlatCodes*>(idx) || dynamic_cast<const faiss::IndexHNSW*>(idx);
}

void checkPosition(Napi::Env env, const faiss::Index* idx, int64_t key) {
  if (positional(idx) && (key < 0 || key >= idx->ntotal)) {
    throw Napi::RangeError::New(env, "key " + std::to_string(key) + " is not below ntotal=" + std::to_string(idx->ntotal));
  }
}

}  // namespace

// reconstruct(key, out): key a number or a BigInt (an IVF's or IDMap2's id).
Napi::Value IndexWrap::Reconstruct(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t key = detail::int64Of(env, info[0], "key");
  auto out = floats(info, 1, "out");
  faiss::Index* idx = live(env);
  if (static_cast<int64_t>(out.ElementLength()) != idx->d) throw Napi::RangeError::New(env, "out must hold d floats");
  checkCanRead(env);
  checkPosition(env, idx, key);
  guarded(env, [&] { idx->reconstruct(key, out.Data()); });
  return env.Undefined();
}

// reconstructN(i0, n, out): faiss's reconstruct_n (an IDMap2 reads ids i0..i0+n-1
// through reconstruct_batch, which reports a missing id instead of throwing inside
// a parallel loop).
Napi::Value IndexWrap::ReconstructN(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t i0 = detail::int64Of(env, info[0], "i0");
  int64_t n = integer(info, 1, "n", 0, std::numeric_limits<int32_t>::max());
  auto out = floats(info, 2, "out");
  faiss::Index* idx = live(env);
  if (static_cast<int64_t>(out.ElementLength()) != n * idx->d) throw Napi::RangeError::New(env, "out must hold n*d floats");
  checkCanRead(env);
  if (n == 0) return env.Undefined();
  bool idmap2 = dynamic_cast<faiss::IndexIDMap2*>(idx) != nullptr;
  if (!idmap2 && (i0 < 0 || i0 > idx->ntotal - n)) {
    throw Napi::RangeError::New(env, "i0..i0+n-1 must lie within 0..ntotal-1");
  }
  if (idmap2 && i0 > std::numeric_limits<int64_t>::max() - n) throw Napi::RangeError::New(env, "i0+n overflows int64");
  float* po = out.Data();
  guarded(env, [&] {
    if (!idmap2) return idx->reconstruct_n(i0, n, po);
    std::vector<int64_t> keys(n);
    for (int64_t i = 0; i < n; i++) keys[i] = i0 + i;
    idx->reconstruct_batch(n, keys.data(), po);
  });
  return env.Undefined();
}

// reconstructBatch(keys, out): faiss's reconstruct_batch (it gathers exceptions
// from its parallel loop); flat and HNSW keys must be below ntotal.
Napi::Value IndexWrap::ReconstructBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto keys = int64s(info, 0, "keys");
  auto out = floats(info, 1, "out");
  faiss::Index* idx = live(env);
  int64_t n = static_cast<int64_t>(keys.ElementLength());
  if (static_cast<int64_t>(out.ElementLength()) != n * idx->d) throw Napi::RangeError::New(env, "out must hold n*d floats");
  checkCanRead(env);
  std::vector<int64_t> copy(keys.Data(), keys.Data() + n);
  for (int64_t k : copy) checkPosition(env, idx, k);
  if (n == 0) return env.Undefined();
  guarded(env, [&] { idx->reconstruct_batch(n, copy.data(), out.Data()); });
  return env.Undefined();
}

// setDirectMap(type): IndexIVF::set_direct_map_type (0 NoMap, 1 Array, 2 Hashtable).
// faiss 1.7.3 switches the type first and then fills the array, so non-sequential ids
// would leave a half-built array map behind its exception: they are refused first.
Napi::Value IndexWrap::SetDirectMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t type = integer(info, 0, "type", 0, 2);
  faiss::IndexIVF* ivf = asIVF(env, live(env));
  checkCanWrite(env);
  if (type == faiss::DirectMap::Array && ivf->direct_map.type != faiss::DirectMap::Array) {
    std::vector<char> seen(static_cast<size_t>(ivf->ntotal), 0);
    for (size_t l = 0; l < ivf->nlist; l++) {
      size_t size = ivf->invlists->list_size(l);
      faiss::InvertedLists::ScopedIds ids(ivf->invlists, l);
      for (size_t j = 0; j < size; j++) {
        int64_t id = ids[j];
        if (id < 0 || id >= ivf->ntotal || seen[id]) {
          throw Napi::Error::New(env, "an array direct map needs the ids 0..ntotal-1, each once, but the index holds id " +
                                          std::to_string(id));
        }
        seen[id] = 1;
      }
    }
  }
  guarded(env, [&] { ivf->set_direct_map_type(static_cast<faiss::DirectMap::Type>(type)); });
  return env.Undefined();
}

// mergeFrom(other, addId): faiss's merge_from (other is emptied). The TS layer has
// checked that the two are of one type, d, metric and lists.
Napi::Value IndexWrap::MergeFrom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IndexWrap* other = IndexWrap::FromValue(info[0], "other");
  int64_t addId = detail::int64Of(env, info[1], "addId");
  faiss::Index* idx = live(env);
  faiss::Index* oi = other->live(env);
  if (idx == oi) throw Napi::Error::New(env, "an index cannot merge from itself");
  checkCanWrite(env);
  other->checkCanWrite(env);
  if (typeid(*idx) != typeid(*oi) || idx->d != oi->d || idx->metric_type != oi->metric_type) {
    throw Napi::Error::New(env, "merge_from needs two indexes of one class, d and metric");
  }
  if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(oi)) {
    // faiss compares the nlist centroids of both quantizers, reading past one that holds fewer.
    auto* mine = dynamic_cast<faiss::IndexIVF*>(idx);
    if (mine->quantizer->ntotal < static_cast<int64_t>(mine->nlist) || ivf->quantizer->ntotal < static_cast<int64_t>(ivf->nlist) ||
        mine->nlist != ivf->nlist) {
      throw Napi::Error::New(env, "merge_from needs two trained IVF indexes of one nlist");
    }
    // The other's ids shifted by addId must stay int64s.
    for (size_t l = 0; l < ivf->nlist; l++) {
      size_t size = ivf->invlists->list_size(l);
      faiss::InvertedLists::ScopedIds ids(ivf->invlists, l);
      for (size_t j = 0; j < size; j++) {
        int64_t id = ids[j];
        if ((addId > 0 && id > std::numeric_limits<int64_t>::max() - addId) ||
            (addId < 0 && id < std::numeric_limits<int64_t>::min() - addId)) {
          throw Napi::RangeError::New(env, "id " + std::to_string(id) + " + addId overflows int64");
        }
      }
    }
  }
  guarded(env, [&] { idx->merge_from(*oi, addId); });
  return env.Undefined();
}

// ---- parameters and sub-indexes ---------------------------------------------

Napi::Value IndexWrap::GetParam(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].ToString();
  if (name == "efSearch") return Napi::Number::New(env, asHNSW(env, live(env))->hnsw.efSearch);
  if (name == "efConstruction") return Napi::Number::New(env, asHNSW(env, live(env))->hnsw.efConstruction);
  if (name == "M") {
    const faiss::HNSW& h = asHNSW(env, live(env))->hnsw;
    return Napi::Number::New(env, h.cum_nneighbor_per_level.size() > 2 ? h.nb_neighbors(1) : h.nb_neighbors(0) / 2);
  }
  if (name == "maxLevel") return Napi::Number::New(env, asHNSW(env, live(env))->hnsw.max_level);
  if (name == "nprobe") return Napi::Number::New(env, static_cast<double>(asIVF(env, live(env))->nprobe));
  if (name == "nlist") return Napi::Number::New(env, static_cast<double>(asIVF(env, live(env))->nlist));
  if (name == "directMap") return Napi::Number::New(env, static_cast<int>(asIVF(env, live(env))->direct_map.type));
  double v = 0;
  if (quantizerParam(env, live(env), name, &v)) return Napi::Number::New(env, v);
  throw Napi::Error::New(env, "unknown parameter " + name);
}

Napi::Value IndexWrap::SetParam(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].ToString();
  int64_t value = integer(info, 1, "value", name == "byResidual" ? 0 : 1, name == "byResidual" ? 1 : 1 << 30);
  checkCanWrite(env);
  if (name == "byResidual") setByResidual(env, live(env), value != 0);
  else if (name == "efSearch") asHNSW(env, live(env))->hnsw.efSearch = static_cast<int>(value);
  else if (name == "efConstruction") asHNSW(env, live(env))->hnsw.efConstruction = static_cast<int>(value);
  else if (name == "nprobe") asIVF(env, live(env))->nprobe = static_cast<size_t>(value);
  else throw Napi::Error::New(env, "unknown or read-only parameter " + name);
  return env.Undefined();
}

// A view of an index held inside this one (IDMap's index, IVF's quantizer). It
// does not own the faiss object and keeps this wrapper alive.
Napi::Value IndexWrap::Sub(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].ToString();
  faiss::Index* sub = nullptr;
  if (name == "index") {
    auto* m = dynamic_cast<faiss::IndexIDMap*>(live(env));
    if (!m) throw Napi::TypeError::New(env, "this index is not an IndexIDMap");
    sub = m->index;
  } else if (name == "quantizer") {
    sub = asIVF(env, live(env))->quantizer;
  } else {
    throw Napi::Error::New(env, "unknown sub-index " + name);
  }
  if (!sub) return env.Null();
  return Make(env, sub, false, busy, {info.This().As<Napi::Object>()}, this);
}

// Let the TS layer refuse early, before it reads state that async work is changing.
Napi::Value IndexWrap::CheckRead(const Napi::CallbackInfo& info) {
  checkCanRead(info.Env());
  return info.Env().Undefined();
}

Napi::Value IndexWrap::CheckWrite(const Napi::CallbackInfo& info) {
  checkCanWrite(info.Env());
  return info.Env().Undefined();
}

// ---- structure: copies, never views (faiss may reallocate them on the next add) ----

namespace {

template <class T, class V>
Napi::Value copyTo(Napi::Env env, const std::vector<V>& v) {
  T out = T::New(env, v.size());
  for (size_t i = 0; i < v.size(); i++) out[i] = v[i];
  return out;
}

}  // namespace

// hnswGraph(): faiss's HNSW arrays (levels, offsets, neighbors, cum_nneighbor_per_level,
// assign_probas) and scalars, copied. offsets are size_t in faiss: doubles, exact below 2^53.
Napi::Value IndexWrap::HnswGraph(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const faiss::HNSW& h = asHNSW(env, live(env))->hnsw;
  checkCanRead(env);
  Napi::Object o = Napi::Object::New(env);
  o.Set("levels", copyTo<Napi::Int32Array>(env, h.levels));
  o.Set("offsets", copyTo<Napi::Float64Array>(env, h.offsets));
  o.Set("neighbors", copyTo<Napi::Int32Array>(env, h.neighbors));
  o.Set("cumNneighborPerLevel", copyTo<Napi::Int32Array>(env, h.cum_nneighbor_per_level));
  o.Set("assignProbas", copyTo<Napi::Float64Array>(env, h.assign_probas));
  o.Set("entryPoint", Napi::Number::New(env, h.entry_point));
  o.Set("maxLevel", Napi::Number::New(env, h.max_level));
  o.Set("efConstruction", Napi::Number::New(env, h.efConstruction));
  o.Set("efSearch", Napi::Number::New(env, h.efSearch));
  o.Set("upperBeam", Napi::Number::New(env, h.upper_beam));
  o.Set("searchBoundedQueue", Napi::Boolean::New(env, h.search_bounded_queue));
  o.Set("checkRelativeDistance", Napi::Boolean::New(env, h.check_relative_distance));
  return o;
}

// invlists(withCodes): an IVF's list sizes, its ids list after list, and (withCodes)
// its codes list after list (code_size bytes each; an IVFFlat's are its float vectors).
Napi::Value IndexWrap::Invlists(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool withCodes = info[0].ToBoolean();
  faiss::IndexIVF* ivf = asIVF(env, live(env));
  checkCanRead(env);
  const faiss::InvertedLists* il = ivf->invlists;
  if (!il) throw Napi::Error::New(env, "this IVF index has no inverted lists");
  size_t total = 0;
  auto sizes = Napi::Float64Array::New(env, ivf->nlist);
  for (size_t l = 0; l < ivf->nlist; l++) {
    size_t n = il->list_size(l);
    sizes[l] = static_cast<double>(n);
    total += n;
  }
  size_t codeSize = il->code_size;
  if (withCodes && codeSize > 0 && total > (std::numeric_limits<uint32_t>::max() - 1) / codeSize) {
    throw Napi::RangeError::New(env, "the lists' codes do not fit one array");
  }
  auto ids = Napi::BigInt64Array::New(env, total);
  Napi::Uint8Array codes = Napi::Uint8Array::New(env, withCodes ? total * codeSize : 0);
  size_t at = 0;
  guarded(env, [&] {
    for (size_t l = 0; l < ivf->nlist; l++) {
      size_t n = il->list_size(l);
      if (n == 0) continue;
      faiss::InvertedLists::ScopedIds lid(il, l);
      std::memcpy(ids.Data() + at, lid.get(), n * sizeof(int64_t));
      if (withCodes) {
        faiss::InvertedLists::ScopedCodes lc(il, l);
        std::memcpy(codes.Data() + at * codeSize, lc.get(), n * codeSize);
      }
      at += n;
    }
  });
  Napi::Object o = Napi::Object::New(env);
  o.Set("sizes", sizes);
  o.Set("ids", ids);
  o.Set("codes", withCodes ? Napi::Value(codes) : env.Null());
  o.Set("codeSize", Napi::Number::New(env, static_cast<double>(codeSize)));
  return o;
}

// ---- serialisation --------------------------------------------------------------

Napi::Value IndexWrap::Serialize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  checkCanRead(env);
  faiss::VectorIOWriter w;
  guarded(env, [&] { faiss::write_index(index_, &w); });
  return Napi::Buffer<uint8_t>::Copy(env, w.data.data(), w.data.size());
}

Napi::Value IndexWrap::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = pathArg(info, 0);
  checkCanRead(env);
  guarded(env, [&] { faiss::write_index(index_, path.c_str()); });
  return env.Undefined();
}

// ---- module functions ------------------------------------------------------------

Napi::Value NewFlat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t d = integer(info, 0, "d", 1);
  faiss::MetricType m = metric(info, 1);
  faiss::Index* idx = guarded(env, [&]() -> faiss::Index* {
    if (m == faiss::METRIC_L2) return new faiss::IndexFlatL2(d);
    if (m == faiss::METRIC_INNER_PRODUCT) return new faiss::IndexFlatIP(d);
    return new faiss::IndexFlat(d, m);
  });
  return IndexWrap::Make(env, idx, true, nullptr, {});
}

Napi::Value NewHNSWFlat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t d = integer(info, 0, "d", 1);
  int64_t M = integer(info, 1, "M", 2, 512);
  faiss::MetricType m = metric(info, 2);
  faiss::Index* idx = guarded(env, [&] { return new faiss::IndexHNSWFlat(d, M, m); });
  return IndexWrap::Make(env, idx, true, nullptr, {});
}

Napi::Value NewIVFFlat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IndexWrap* q = IndexWrap::FromValue(info[0], "quantizer");
  int64_t d = integer(info, 1, "d", 1);
  int64_t nlist = integer(info, 2, "nlist", 1, 1 << 20);
  faiss::MetricType m = metric(info, 3);
  bool dedup = info[4].ToBoolean();
  faiss::Index* qi = q->live(env);
  faiss::Index* idx = guarded(env, [&]() -> faiss::Index* {
    if (dedup) return new faiss::IndexIVFFlatDedup(qi, d, nlist, m);
    return new faiss::IndexIVFFlat(qi, d, nlist, m);
  });
  return IndexWrap::Make(env, idx, true, q->busy, {info[0].As<Napi::Object>()}, nullptr, q);
}

Napi::Value NewIDMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IndexWrap* inner = IndexWrap::FromValue(info[0], "index");
  bool two = info[1].ToBoolean();
  faiss::Index* ii = inner->live(env);
  faiss::Index* idx = guarded(env, [&]() -> faiss::Index* {
    if (two) return new faiss::IndexIDMap2(ii);
    return new faiss::IndexIDMap(ii);
  });
  return IndexWrap::Make(env, idx, true, inner->busy, {info[0].As<Napi::Object>()}, nullptr, inner);
}

Napi::Value IndexFactory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t d = integer(info, 0, "d", 1);
  std::string desc = info[1].ToString();
  faiss::MetricType m = metric(info, 2);
  faiss::Index* idx = guarded(env, [&] { return faiss::index_factory(d, desc.c_str(), m); });
  return IndexWrap::Make(env, idx, true, nullptr, {});
}

Napi::Value ReadIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = pathArg(info, 0);
  faiss::Index* idx = guarded(env, [&] { return faiss::read_index(path.c_str()); });
  return IndexWrap::Make(env, idx, true, nullptr, {});
}

Napi::Value DeserializeIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "data must be a Buffer or Uint8Array");
  auto bytes = info[0].As<Napi::Uint8Array>();
  faiss::Index* idx = guarded(env, [&] {
    faiss::VectorIOReader r;
    r.data.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
    return faiss::read_index(&r);
  });
  return IndexWrap::Make(env, idx, true, nullptr, {});
}

namespace {

// faiss::clone_index, where faiss 1.7.3 loses the class: it copies an IndexHNSWFlat
// (also an IVF's HNSW quantizer), IndexHNSWSQ or IndexHNSWPQ as a plain IndexHNSW, which write_index refuses,
// and an IndexIVFFlatDedup as an IndexIVFFlat without its duplicates.
struct ExactCloner : faiss::Cloner {
  template <class T>
  faiss::Index* cloneHNSW(const T* h) {
    std::unique_ptr<T> res(new T(*h));
    res->own_fields = false;  // until its own storage is in place
    res->storage = clone_Index(h->storage);
    res->own_fields = true;
    return res.release();
  }
  faiss::Index* clone_Index(const faiss::Index* index) override {
    if (auto* h = dynamic_cast<const faiss::IndexHNSWFlat*>(index)) return cloneHNSW(h);
    // The same for the quantizing HNSW indexes (an IndexHNSWPQ's storage keeps its sdc table).
    if (auto* h = dynamic_cast<const faiss::IndexHNSWSQ*>(index)) return cloneHNSW(h);
    if (auto* h = dynamic_cast<const faiss::IndexHNSWPQ*>(index)) return cloneHNSW(h);
    return faiss::Cloner::clone_Index(index);
  }
  faiss::IndexIVF* clone_IndexIVF(const faiss::IndexIVF* ivf) override {
    if (auto* dd = dynamic_cast<const faiss::IndexIVFFlatDedup*>(ivf)) return new faiss::IndexIVFFlatDedup(*dd);
    return faiss::Cloner::clone_IndexIVF(ivf);
  }
};

}  // namespace

Napi::Value CloneIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  IndexWrap* src = IndexWrap::FromValue(info[0], "index");
  faiss::Index* si = src->live(env);
  if (src->busy->writer) throw Napi::Error::New(env, "index is busy: an async add or train on it has not finished; await it first");
  faiss::Index* idx = guarded(env, [&] {
    ExactCloner c;
    return c.clone_Index(si);
  });
  return IndexWrap::Make(env, idx, true, nullptr, {});
}

}  // namespace faisslab
