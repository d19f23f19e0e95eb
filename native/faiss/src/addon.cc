// Entry point of the faiss-lab addon: registers the index class and functions.
#include <napi.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "index_wrap.h"

#ifndef FAISS_LAB_BUILD
#define FAISS_LAB_BUILD "unknown"
#endif

namespace {

// Index of the first NaN/Inf in a Float32Array, or -1. The TS layer's finite
// check on every add/search: done here because a 20k x 512 scan costs 15 ms in JS.
// With a limit (a float32 value), the first value whose magnitude exceeds it: the
// range check that keeps faiss's squared distances from overflowing float32.
Napi::Value FirstNonFinite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, "x must be a Float32Array");
  }
  uint32_t lim = 0x7f7fffffu;  // FLT_MAX: only NaN and Infinity lie beyond
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    double l = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
    if (!(l >= 0)) throw Napi::RangeError::New(env, "limit must be a number >= 0");
    if (l < 3.4028234663852886e38) {
      float f = static_cast<float>(l);
      std::memcpy(&lim, &f, sizeof lim);
    }
  }
  auto x = info[0].As<Napi::Float32Array>();
  const uint32_t* bits = reinterpret_cast<const uint32_t*>(x.Data());
  const size_t n = x.ElementLength();
  const size_t block = 4096;
  for (size_t start = 0; start < n; start += block) {
    const size_t end = std::min(n, start + block);
    uint32_t any = 0;
    // Branch-free per block so the compiler vectorises it. The magnitude bits of a
    // float order like the magnitudes; NaN and Infinity (exponent all ones) lie above any limit.
    for (size_t i = start; i < end; i++) any |= static_cast<uint32_t>((bits[i] & 0x7fffffffu) > lim);
    if (any) {
      for (size_t i = start; i < end; i++) {
        if ((bits[i] & 0x7fffffffu) > lim) return Napi::Number::New(env, static_cast<double>(i));
      }
    }
  }
  return Napi::Number::New(env, -1);
}

Napi::Value OmpGetMaxThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

Napi::Value OmpSetNumThreads(const Napi::CallbackInfo& info) {
  int n = info[0].ToNumber().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "number of threads must be >= 1");
  omp_set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace faisslab;
  exports.Set("NativeIndex", IndexWrap::Define(env));
  exports.Set("newFlat", Napi::Function::New<NewFlat>(env, "newFlat"));
  exports.Set("newHNSWFlat", Napi::Function::New<NewHNSWFlat>(env, "newHNSWFlat"));
  exports.Set("newIVFFlat", Napi::Function::New<NewIVFFlat>(env, "newIVFFlat"));
  exports.Set("newIDMap", Napi::Function::New<NewIDMap>(env, "newIDMap"));
  exports.Set("newPQ", Napi::Function::New<NewPQ>(env, "newPQ"));
  exports.Set("newIVFPQ", Napi::Function::New<NewIVFPQ>(env, "newIVFPQ"));
  exports.Set("newSQ", Napi::Function::New<NewSQ>(env, "newSQ"));
  exports.Set("newIVFSQ", Napi::Function::New<NewIVFSQ>(env, "newIVFSQ"));
  exports.Set("newHNSWSQ", Napi::Function::New<NewHNSWSQ>(env, "newHNSWSQ"));
  exports.Set("newHNSWPQ", Napi::Function::New<NewHNSWPQ>(env, "newHNSWPQ"));
  exports.Set("indexFactory", Napi::Function::New<IndexFactory>(env, "indexFactory"));
  exports.Set("readIndex", Napi::Function::New<ReadIndex>(env, "readIndex"));
  exports.Set("deserializeIndex", Napi::Function::New<DeserializeIndex>(env, "deserializeIndex"));
  exports.Set("cloneIndex", Napi::Function::New<CloneIndex>(env, "cloneIndex"));
  exports.Set("ompGetMaxThreads", Napi::Function::New<OmpGetMaxThreads>(env, "ompGetMaxThreads"));
  exports.Set("ompSetNumThreads", Napi::Function::New<OmpSetNumThreads>(env, "ompSetNumThreads"));
  exports.Set("firstNonFinite", Napi::Function::New<FirstNonFinite>(env, "firstNonFinite"));
  exports.Set("faissVersion", Napi::String::New(env, FAISS_LAB_BUILT_AGAINST));
  // Which faiss library is linked (binding.gyp, from lib/faiss-config.js): avx2, generic, prefix:<dir>, conda:<env>.
  exports.Set("faissBuild", Napi::String::New(env, FAISS_LAB_BUILD));
  return exports;
}

}  // namespace

NODE_API_MODULE(faiss_lab, Init)
