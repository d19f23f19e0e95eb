#include "index_wrap.h"

#include <cxxabi.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/index_factory.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_io.h>
#include <faiss/impl/io.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "errors.h"
#include "workers.h"

namespace faisslab {
namespace {

struct MakeArgs {
  faiss::Index* idx;
  bool owned;
  std::shared_ptr<Busy> busy;
};

// Argument readers. The TS layer has already validated everything; these only
// make sure that a direct call into the addon cannot read out of bounds.
Napi::Float32Array floats(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Float32Array");
  }
  return v.As<Napi::Float32Array>();
}

Napi::BigInt64Array int64s(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a BigInt64Array");
  }
  return v.As<Napi::BigInt64Array>();
}

// An integer in [min, max], checked before any cast: the C type receiving it
// (faiss's int d, M, efSearch; size_t nlist) never sees a truncated value.
int64_t integer(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min,
                int64_t max = std::numeric_limits<int32_t>::max()) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  double x = v.As<Napi::Number>().DoubleValue();
  if (!(x >= static_cast<double>(min) && x <= static_cast<double>(max)) || x != std::floor(x)) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be an integer between " + std::to_string(min) +
                                                " and " + std::to_string(max));
  }
  return static_cast<int64_t>(x);
}

// A path for C: a NUL byte would silently cut it short (and write elsewhere).
std::string pathArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
  std::string path = info[i].As<Napi::String>();
  if (path.empty() || path.find('\0') != std::string::npos) {
    throw Napi::Error::New(info.Env(), "path must be non-empty and contain no NUL byte");
  }
  return path;
}

faiss::MetricType metric(const Napi::CallbackInfo& info, size_t i) {
  int64_t m = integer(info, i, "metric", 0);
  if (m > 3) throw Napi::RangeError::New(info.Env(), "metric must be 0 (INNER_PRODUCT), 1 (L2), 2 (L1) or 3 (Linf)");
  return static_cast<faiss::MetricType>(m);
}

// Rows in a vector array of the index's dimension.
int64_t rows(Napi::Env env, const faiss::Index* idx, const Napi::Float32Array& x) {
  size_t len = x.ElementLength();
  if (idx->d <= 0 || len % idx->d != 0) {
    throw Napi::RangeError::New(env, "vector array length " + std::to_string(len) + " is not a multiple of d=" +
                                         std::to_string(idx->d));
  }
  return static_cast<int64_t>(len / idx->d);
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
          InstanceMethod<&IndexWrap::Reset>("reset"),
          InstanceMethod<&IndexWrap::RemoveIds>("removeIds"),
          InstanceMethod<&IndexWrap::Reconstruct>("reconstruct"),
          InstanceMethod<&IndexWrap::GetParam>("getParam"),
          InstanceMethod<&IndexWrap::SetParam>("setParam"),
          InstanceMethod<&IndexWrap::Sub>("sub"),
          InstanceMethod<&IndexWrap::Serialize>("serialize"),
          InstanceMethod<&IndexWrap::Write>("write"),
          InstanceMethod<&IndexWrap::CheckRead>("checkRead"),
          InstanceMethod<&IndexWrap::CheckWrite>("checkWrite"),
          InstanceMethod<&IndexWrap::Dispose>("dispose"),
          InstanceMethod<&IndexWrap::Disposed>("disposed"),
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

// faiss's class name, most derived first, so TS can pick the matching wrapper.
Napi::Value IndexWrap::ClassName(const Napi::CallbackInfo& info) {
  const faiss::Index* i = live(info.Env());
  const char* name = nullptr;
  if (dynamic_cast<const faiss::IndexIDMap2*>(i)) name = "IndexIDMap2";
  else if (dynamic_cast<const faiss::IndexIDMap*>(i)) name = "IndexIDMap";
  else if (dynamic_cast<const faiss::IndexHNSWFlat*>(i)) name = "IndexHNSWFlat";
  else if (dynamic_cast<const faiss::IndexIVFFlat*>(i)) name = "IndexIVFFlat";
  else if (dynamic_cast<const faiss::IndexFlatL2*>(i)) name = "IndexFlatL2";
  else if (dynamic_cast<const faiss::IndexFlatIP*>(i)) name = "IndexFlatIP";
  else if (typeid(*i) == typeid(faiss::IndexFlat)) name = "IndexFlat";
  return Napi::String::New(info.Env(), name ? std::string(name) : demangledName(i));
}

// ---- add / train / search -----------------------------------------------------

// Each of add / addWithIds / train / search parses its arguments once into a Job;
// the sync method runs it here, the async one on the thread pool.
struct IndexWrap::Job {
  Access access;
  std::vector<Napi::Value> keepAlive;  // typed arrays the work reads or fills
  std::function<void()> work;
};

Napi::Value IndexWrap::Run(const Napi::CallbackInfo& info, Job job, bool async) {
  Napi::Env env = info.Env();
  if (job.access == Access::Write) checkCanWrite(env); else checkCanRead(env);
  if (!async) {
    guarded(env, job.work);
    return env.Undefined();
  }
  job.keepAlive.push_back(info.This());
  return runAsync(env, this, job.access, std::move(job.keepAlive), std::move(job.work));
}

IndexWrap::Job IndexWrap::AddJob(const Napi::CallbackInfo& info) {
  auto x = floats(info, 0, "x");
  int64_t n = rows(info.Env(), live(info.Env()), x);
  faiss::Index* idx = index_;
  const float* px = x.Data();
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
  const float* px = x.Data();
  float* pD = D.Data();
  int64_t* pI = I.Data();
  return {Access::Read, {x, D, I}, [=] { idx->search(n, px, k, pD, pI); }};
}

Napi::Value IndexWrap::Add(const Napi::CallbackInfo& info) { return Run(info, AddJob(info), false); }
Napi::Value IndexWrap::AddAsync(const Napi::CallbackInfo& info) { return Run(info, AddJob(info), true); }
Napi::Value IndexWrap::AddWithIds(const Napi::CallbackInfo& info) { return Run(info, AddWithIdsJob(info), false); }
Napi::Value IndexWrap::AddWithIdsAsync(const Napi::CallbackInfo& info) { return Run(info, AddWithIdsJob(info), true); }
Napi::Value IndexWrap::Train(const Napi::CallbackInfo& info) { return Run(info, TrainJob(info), false); }
Napi::Value IndexWrap::TrainAsync(const Napi::CallbackInfo& info) { return Run(info, TrainJob(info), true); }
Napi::Value IndexWrap::Search(const Napi::CallbackInfo& info) { return Run(info, SearchJob(info), false); }
Napi::Value IndexWrap::SearchAsync(const Napi::CallbackInfo& info) { return Run(info, SearchJob(info), true); }

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
  size_t removed = guarded(env, [&] {
    faiss::IDSelectorBatch sel(ids.ElementLength(), ids.Data());
    return index_->remove_ids(sel);
  });
  return Napi::Number::New(env, static_cast<double>(removed));
}

Napi::Value IndexWrap::Reconstruct(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t key = integer(info, 0, "key", 0, (int64_t{1} << 53));
  auto out = floats(info, 1, "out");
  if (static_cast<int64_t>(out.ElementLength()) != live(env)->d) throw Napi::RangeError::New(env, "out must hold d floats");
  checkCanRead(env);
  guarded(env, [&] { index_->reconstruct(key, out.Data()); });
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
  throw Napi::Error::New(env, "unknown parameter " + name);
}

Napi::Value IndexWrap::SetParam(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].ToString();
  int64_t value = integer(info, 1, "value", 1, 1 << 30);
  checkCanWrite(env);
  if (name == "efSearch") asHNSW(env, live(env))->hnsw.efSearch = static_cast<int>(value);
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
  faiss::Index* qi = q->live(env);
  faiss::Index* idx = guarded(env, [&] { return new faiss::IndexIVFFlat(qi, d, nlist, m); });
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

}  // namespace faisslab
