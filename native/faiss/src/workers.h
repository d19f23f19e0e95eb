// Runs faiss work on libuv's thread pool and settles a Promise on the JS thread.
#pragma once
#include <napi.h>

#include <functional>
#include <memory>
#include <vector>

#include "index_wrap.h"

namespace faisslab {

enum class Access { Read, Write };

// Queues `work` (which must not touch JS values) and returns its Promise.
// keepAlive holds the index object and the typed arrays the work reads or fills,
// so neither is collected while a pool thread uses their memory.
Napi::Promise runAsync(Napi::Env env, IndexWrap* self, Access access, std::vector<Napi::Value> keepAlive,
                       std::function<void()> work);

}  // namespace faisslab
