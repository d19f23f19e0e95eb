// Entry point of the faiss-lab addon: registers the index class and functions.
#include <napi.h>
#include <omp.h>

#include "index_wrap.h"

namespace {

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
  exports.Set("indexFactory", Napi::Function::New<IndexFactory>(env, "indexFactory"));
  exports.Set("readIndex", Napi::Function::New<ReadIndex>(env, "readIndex"));
  exports.Set("deserializeIndex", Napi::Function::New<DeserializeIndex>(env, "deserializeIndex"));
  exports.Set("ompGetMaxThreads", Napi::Function::New<OmpGetMaxThreads>(env, "ompGetMaxThreads"));
  exports.Set("ompSetNumThreads", Napi::Function::New<OmpSetNumThreads>(env, "ompSetNumThreads"));
  exports.Set("faissVersion", Napi::String::New(env, FAISS_LAB_BUILT_AGAINST));
  return exports;
}

}  // namespace

NODE_API_MODULE(faiss_lab, Init)
