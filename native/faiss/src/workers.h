// Runs faiss work on libuv's thread pool and settles a Promise on the JS thread.
#pragma once
#include <napi.h>

#include <functional>
#include <memory>
#include <vector>

#include "index_wrap.h"

namespace faisslab {

enum class Access { Read, Write };

// Makes the Promise's value on the JS thread once the work is done (e.g. typed
// arrays of a size only the work knew).
using ResultMaker = std::function<Napi::Value(Napi::Env)>;

// Queues `work` (which must not touch JS values) and returns its Promise.
// keepAlive holds the index object and the typed arrays the work reads or fills,
// so neither is collected while a pool thread uses their memory. The Promise
// resolves with result(env) when given, else with undefined.
Napi::Promise runAsync(Napi::Env env, IndexWrap* self, Access access, std::vector<Napi::Value> keepAlive,
                       std::function<void()> work, ResultMaker result = nullptr);

}  // namespace faisslab
