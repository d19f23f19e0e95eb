#include "workers.h"

#include <omp.h>

#include "errors.h"

namespace faisslab {
namespace {

class IndexWorker : public Napi::AsyncWorker {
 public:
  IndexWorker(Napi::Env env, std::shared_ptr<Busy> busy, Access access, std::vector<Napi::Value> keepAlive,
              std::function<void()> work, ResultMaker result)
      : Napi::AsyncWorker(env, "faiss-lab:index"),
        deferred_(Napi::Promise::Deferred::New(env)),
        busy_(std::move(busy)),
        access_(access),
        work_(std::move(work)),
        result_(std::move(result)),
        threads_(omp_get_max_threads()) {
    for (auto& v : keepAlive) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
    if (access_ == Access::Write) busy_->writer = true; else busy_->readers++;
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    // OpenMP's thread count is per thread: a pool thread would ignore ompSetNumThreads
    // (called on the main thread) and make parallel HNSW builds differ from sync ones.
    omp_set_num_threads(threads_);
    try {
      work_();
    } catch (...) {
      failure_ = describe(std::current_exception());
      SetError(failure_.message);
    }
  }

  void OnOK() override {
    release();
    if (!result_) {
      deferred_.Resolve(Env().Undefined());
      return;
    }
    try {
      deferred_.Resolve(result_(Env()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(toJsError(Env(), describe(std::current_exception())).Value());
    }
  }

  void OnError(const Napi::Error&) override {
    release();
    deferred_.Reject(toJsError(Env(), failure_).Value());
  }

 private:
  void release() {
    if (access_ == Access::Write) busy_->writer = false; else busy_->readers--;
  }

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Busy> busy_;
  Access access_;
  std::function<void()> work_;
  ResultMaker result_;
  std::vector<Napi::ObjectReference> refs_;
  Failure failure_;
  int threads_;
};

}  // namespace

Napi::Promise runAsync(Napi::Env env, IndexWrap* self, Access access, std::vector<Napi::Value> keepAlive,
                       std::function<void()> work, ResultMaker result) {
  auto* worker = new IndexWorker(env, self->busy, access, std::move(keepAlive), std::move(work), std::move(result));
  Napi::Promise p = worker->Promise();
  worker->Queue();  // the worker deletes itself once settled
  return p;
}

}  // namespace faisslab
