// faiss 1.7.3's per-call search parameters (SearchParameters, SearchParametersHNSW,
// SearchParametersIVF) and id selectors (IDSelectorRange / Array / Batch / Not),
// built from the plain object the TS layer passes (src/search/selectors.ts).
//
// The TS layer has checked that the index type takes these parameters and that a
// selector cannot make faiss read out of bounds; the checks here only make sure a
// direct call into the addon cannot either (flat search trusts an IDSelectorArray's
// ids and an IDSelectorRange's bounds as positions in its table).
#pragma once
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>
#include <napi.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace faisslab {

// Owns the parameters and everything they point to (selectors, the ids an
// IDSelectorArray reads) for the length of one call, sync or on the thread pool.
struct SearchParamsHolder {
  std::unique_ptr<faiss::SearchParameters> params;
  std::vector<std::unique_ptr<faiss::IDSelector>> selectors;
  std::deque<std::vector<int64_t>> arrays;  // deque: pointers into it stay valid
  // Set when a flat index's IDSelectorRange selects no position: faiss 1.7.3 would
  // read out of bounds, and the answer (nothing) needs no search.
  bool selectsNothing = false;
};

namespace detail {

inline int64_t int64Of(Napi::Env env, Napi::Value v, const char* what) {
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) throw Napi::RangeError::New(env, std::string(what) + " must fit an int64");
    return x;
  }
  if (v.IsNumber()) {
    double x = v.As<Napi::Number>().DoubleValue();
    if (!(x >= -9007199254740991.0 && x <= 9007199254740991.0) || x != static_cast<double>(static_cast<int64_t>(x))) {
      throw Napi::RangeError::New(env, std::string(what) + " must be a safe integer or a BigInt");
    }
    return static_cast<int64_t>(x);
  }
  throw Napi::TypeError::New(env, std::string(what) + " must be a number or a BigInt");
}

inline std::vector<int64_t> idsOf(Napi::Env env, Napi::Value v) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array) {
    throw Napi::TypeError::New(env, "selector ids must be a BigInt64Array");
  }
  auto a = v.As<Napi::BigInt64Array>();
  return std::vector<int64_t>(a.Data(), a.Data() + a.ElementLength());
}

inline faiss::IDSelector* selector(Napi::Env env, Napi::Value v, SearchParamsHolder& h, int depth) {
  if (depth > 64) throw Napi::RangeError::New(env, "selectors nest at most 64 deep");
  if (!v.IsObject()) throw Napi::TypeError::New(env, "a selector must be an object");
  Napi::Object o = v.As<Napi::Object>();
  std::string type = o.Get("type").ToString();
  std::unique_ptr<faiss::IDSelector> sel;
  if (type == "range") {
    int64_t imin = int64Of(env, o.Get("imin"), "imin");
    int64_t imax = int64Of(env, o.Get("imax"), "imax");
    sel.reset(new faiss::IDSelectorRange(imin, imax, o.Get("assumeSorted").ToBoolean()));
  } else if (type == "array") {
    h.arrays.push_back(idsOf(env, o.Get("ids")));
    const auto& ids = h.arrays.back();
    sel.reset(new faiss::IDSelectorArray(ids.size(), ids.data()));
  } else if (type == "batch") {
    std::vector<int64_t> ids = idsOf(env, o.Get("ids"));
    sel.reset(new faiss::IDSelectorBatch(ids.size(), ids.data()));  // copies the ids
  } else if (type == "not") {
    faiss::IDSelector* inner = selector(env, o.Get("sel"), h, depth + 1);
    sel.reset(new faiss::IDSelectorNot(inner));
  } else {
    throw Napi::TypeError::New(env, "unknown selector type " + type);
  }
  h.selectors.push_back(std::move(sel));
  return h.selectors.back().get();
}

// What a flat index does with a top-level IDSelectorRange / IDSelectorArray in a k-NN
// search (utils/distances.cpp): the range becomes a slice [max(imin, 0), min(imax, ntotal))
// of its table (an empty or reversed one reads before or after it), the array's ids
// are read as positions without a bounds check.
inline void checkFlatSelector(Napi::Env env, const faiss::Index* idx, SearchParamsHolder& h) {
  const faiss::IDSelector* sel = h.params->sel;
  if (auto* r = dynamic_cast<const faiss::IDSelectorRange*>(sel)) {
    int64_t lo = std::max<int64_t>(r->imin, 0);
    int64_t hi = std::min<int64_t>(r->imax, idx->ntotal);
    if (hi <= lo) h.selectsNothing = true;
  } else if (auto* a = dynamic_cast<const faiss::IDSelectorArray*>(sel)) {
    for (size_t i = 0; i < a->n; i++) {
      if (a->ids[i] < 0 || a->ids[i] >= idx->ntotal) {
        throw Napi::RangeError::New(env, "IDSelectorArray id " + std::to_string(a->ids[i]) +
                                             " is not a position in this flat index (0.." +
                                             std::to_string(idx->ntotal - 1) + ")");
      }
    }
  }
}

}  // namespace detail

// Parses { kind: 'base' | 'hnsw' | 'ivf', sel?, efSearch?, checkRelativeDistance?,
// nprobe?, maxCodes? } for `idx`; `knn` is false for range_search (where flat search
// tests membership and has no special cases).
inline std::shared_ptr<SearchParamsHolder> searchParams(Napi::Env env, Napi::Value v, const faiss::Index* idx, bool knn) {
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  if (!v.IsObject()) throw Napi::TypeError::New(env, "params must be an object");
  Napi::Object o = v.As<Napi::Object>();
  auto h = std::make_shared<SearchParamsHolder>();
  std::string kind = o.Get("kind").ToString();
  if (kind == "hnsw") {
    auto* hn = dynamic_cast<const faiss::IndexHNSW*>(idx);
    if (!hn) throw Napi::TypeError::New(env, "SearchParametersHNSW are for HNSW indexes");
    // faiss 1.7.3 only honours them (and the selector) on its default search path.
    if (hn->hnsw.upper_beam != 1 || !hn->hnsw.search_bounded_queue) {
      throw Napi::Error::New(env, "this HNSW index's search path ignores search parameters (upper_beam != 1)");
    }
    auto* p = new faiss::SearchParametersHNSW();
    h->params.reset(p);
    double ef = o.Get("efSearch").ToNumber().DoubleValue();
    if (!(ef >= 1 && ef <= (1 << 20)) || ef != static_cast<double>(static_cast<int>(ef))) {
      throw Napi::RangeError::New(env, "efSearch must be an integer between 1 and 1048576");
    }
    p->efSearch = static_cast<int>(ef);
    p->check_relative_distance = o.Get("checkRelativeDistance").ToBoolean();
  } else if (kind == "ivf") {
    if (!dynamic_cast<const faiss::IndexIVF*>(idx)) throw Napi::TypeError::New(env, "SearchParametersIVF are for IVF indexes");
    auto* p = new faiss::SearchParametersIVF();
    h->params.reset(p);
    double nprobe = o.Get("nprobe").ToNumber().DoubleValue();
    if (!(nprobe >= 1 && nprobe <= (1 << 30)) || nprobe != static_cast<double>(static_cast<int64_t>(nprobe))) {
      throw Napi::RangeError::New(env, "nprobe must be an integer between 1 and 2^30");
    }
    p->nprobe = static_cast<size_t>(nprobe);
    double maxCodes = o.Get("maxCodes").ToNumber().DoubleValue();
    if (!(maxCodes >= 0 && maxCodes <= 9007199254740991.0) || maxCodes != static_cast<double>(static_cast<int64_t>(maxCodes))) {
      throw Napi::RangeError::New(env, "maxCodes must be an integer >= 0");
    }
    p->max_codes = static_cast<size_t>(maxCodes);
  } else if (kind == "base") {
    if (!dynamic_cast<const faiss::IndexFlat*>(idx) && !dynamic_cast<const faiss::IndexScalarQuantizer*>(idx)) {
      throw Napi::TypeError::New(env, "plain SearchParameters are for flat and scalar-quantizer indexes");
    }
    h->params.reset(new faiss::SearchParameters());
  } else {
    throw Napi::TypeError::New(env, "unknown search parameters kind " + kind);
  }
  Napi::Value sel = o.Get("sel");
  if (!sel.IsUndefined() && !sel.IsNull()) {
    h->params->sel = detail::selector(env, sel, *h, 0);
    auto* flat = dynamic_cast<const faiss::IndexFlat*>(idx);
    if (flat && flat->metric_type != faiss::METRIC_L2 && flat->metric_type != faiss::METRIC_INNER_PRODUCT) {
      throw Napi::Error::New(env, "faiss 1.7.3 filters flat search by L2 and inner product only");
    }
    if (flat && knn) detail::checkFlatSelector(env, idx, *h);
  }
  return h;
}

}  // namespace faisslab
