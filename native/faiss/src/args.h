// Argument readers shared by the addon's functions. The TS layer has already
// validated everything; these only make sure that a direct call into the addon
// cannot read out of bounds or hand faiss a truncated value.
#pragma once
#include <faiss/Index.h>
#include <faiss/MetricType.h>
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace faisslab {

inline Napi::Float32Array floats(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Float32Array");
  }
  return v.As<Napi::Float32Array>();
}

inline Napi::BigInt64Array int64s(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a BigInt64Array");
  }
  return v.As<Napi::BigInt64Array>();
}

// An integer in [min, max], checked before any cast: the C type receiving it
// (faiss's int d, M, efSearch; size_t nlist) never sees a truncated value.
inline int64_t integer(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min,
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

inline faiss::MetricType metric(const Napi::CallbackInfo& info, size_t i) {
  int64_t m = integer(info, i, "metric", 0);
  if (m > 3) throw Napi::RangeError::New(info.Env(), "metric must be 0 (INNER_PRODUCT), 1 (L2), 2 (L1) or 3 (Linf)");
  return static_cast<faiss::MetricType>(m);
}

// Rows in a vector array of the index's dimension.
inline int64_t rows(Napi::Env env, const faiss::Index* idx, const Napi::Float32Array& x) {
  size_t len = x.ElementLength();
  if (idx->d <= 0 || len % idx->d != 0) {
    throw Napi::RangeError::New(env, "vector array length " + std::to_string(len) + " is not a multiple of d=" +
                                         std::to_string(idx->d));
  }
  return static_cast<int64_t>(len / idx->d);
}

}  // namespace faisslab
