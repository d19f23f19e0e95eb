// One JS class wraps every faiss::Index; the TypeScript layer gives it faiss's
// class names and validates arguments before anything reaches here.
#pragma once
#include <faiss/Index.h>
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

namespace faisslab {

// Async work in flight on an index (and on indexes sharing its storage, such as
// an IVF and its quantizer). Touched on the JS thread only.
struct Busy {
  int readers = 0;     // async searches
  bool writer = false; // async add / train
};

class IndexWrap : public Napi::ObjectWrap<IndexWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Wraps idx in a new JS object. keepAlive: JS objects whose native data idx uses.
  // viewOf: the wrapper idx lives inside (a view dies with it); builtOn: the index
  // idx uses without owning (an IVF's quantizer, an IDMap's index), which then
  // cannot be disposed first.
  static Napi::Object Make(Napi::Env env, faiss::Index* idx, bool owned, std::shared_ptr<Busy> busy,
                           const std::vector<Napi::Object>& keepAlive, const IndexWrap* viewOf = nullptr,
                           const IndexWrap* builtOn = nullptr);
  static IndexWrap* FromValue(Napi::Value v, const char* what);

  explicit IndexWrap(const Napi::CallbackInfo& info);
  ~IndexWrap() override;

  // The faiss index; throws once dispose() has freed it (or the index it lives in).
  faiss::Index* live(Napi::Env env) const;
  std::shared_ptr<Busy> busy;

 private:
  faiss::Index* index_ = nullptr;
  bool owned_ = false;
  std::vector<Napi::ObjectReference> keepAlive_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // shared with views of this index
  std::shared_ptr<int> usedBy_ = std::make_shared<int>(0);      // live indexes built on this one
  std::shared_ptr<int> uses_;                                   // usedBy_ of the index this one is built on
  void release();

  void checkCanRead(Napi::Env env) const;
  void checkCanWrite(Napi::Env env) const;

  struct Job;
  Job AddJob(const Napi::CallbackInfo& info);
  Job AddWithIdsJob(const Napi::CallbackInfo& info);
  Job TrainJob(const Napi::CallbackInfo& info);
  Job SearchJob(const Napi::CallbackInfo& info);
  Job RangeSearchJob(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info, Job job, bool async);

  Napi::Value D(const Napi::CallbackInfo& info);
  Napi::Value Ntotal(const Napi::CallbackInfo& info);
  Napi::Value MetricType(const Napi::CallbackInfo& info);
  Napi::Value IsTrained(const Napi::CallbackInfo& info);
  Napi::Value ClassName(const Napi::CallbackInfo& info);
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value AddWithIds(const Napi::CallbackInfo& info);
  Napi::Value Train(const Napi::CallbackInfo& info);
  Napi::Value Search(const Napi::CallbackInfo& info);
  Napi::Value AddAsync(const Napi::CallbackInfo& info);
  Napi::Value AddWithIdsAsync(const Napi::CallbackInfo& info);
  Napi::Value TrainAsync(const Napi::CallbackInfo& info);
  Napi::Value SearchAsync(const Napi::CallbackInfo& info);
  Napi::Value RangeSearch(const Napi::CallbackInfo& info);
  Napi::Value RangeSearchAsync(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value RemoveIds(const Napi::CallbackInfo& info);
  Napi::Value Reconstruct(const Napi::CallbackInfo& info);
  Napi::Value ReconstructN(const Napi::CallbackInfo& info);
  Napi::Value ReconstructBatch(const Napi::CallbackInfo& info);
  Napi::Value SetDirectMap(const Napi::CallbackInfo& info);
  Napi::Value MergeFrom(const Napi::CallbackInfo& info);
  Napi::Value GetParam(const Napi::CallbackInfo& info);
  Napi::Value SetParam(const Napi::CallbackInfo& info);
  Napi::Value Sub(const Napi::CallbackInfo& info);
  Napi::Value Serialize(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value CheckRead(const Napi::CallbackInfo& info);
  Napi::Value CheckWrite(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);
  // The standalone codec of the quantizing indexes (quantizers.cc).
  Napi::Value SaEncode(const Napi::CallbackInfo& info);
  Napi::Value SaDecode(const Napi::CallbackInfo& info);
  Napi::Value Codebook(const Napi::CallbackInfo& info);
  // Read-only copies of an HNSW graph and of an IVF's inverted lists (index_wrap.cc).
  Napi::Value HnswGraph(const Napi::CallbackInfo& info);
  Napi::Value Invlists(const Napi::CallbackInfo& info);
};

// Module-level functions: constructors for each index class, factory, I/O.
Napi::Value NewFlat(const Napi::CallbackInfo& info);
Napi::Value NewHNSWFlat(const Napi::CallbackInfo& info);
Napi::Value NewIVFFlat(const Napi::CallbackInfo& info);
Napi::Value NewIDMap(const Napi::CallbackInfo& info);
// The quantizing indexes (quantizers.cc).
Napi::Value NewPQ(const Napi::CallbackInfo& info);
Napi::Value NewIVFPQ(const Napi::CallbackInfo& info);
Napi::Value NewSQ(const Napi::CallbackInfo& info);
Napi::Value NewIVFSQ(const Napi::CallbackInfo& info);
Napi::Value NewHNSWSQ(const Napi::CallbackInfo& info);
Napi::Value NewHNSWPQ(const Napi::CallbackInfo& info);
Napi::Value IndexFactory(const Napi::CallbackInfo& info);
Napi::Value ReadIndex(const Napi::CallbackInfo& info);
Napi::Value DeserializeIndex(const Napi::CallbackInfo& info);
Napi::Value CloneIndex(const Napi::CallbackInfo& info);

}  // namespace faisslab
