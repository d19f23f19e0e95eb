// The one place where C++ exceptions become JavaScript errors.
#pragma once
#include <napi.h>

#include <exception>
#include <stdexcept>
#include <string>

namespace faisslab {

// What went wrong, as text, and a stable code for JS: ERR_FAISS (faiss refused),
// ERR_FAISS_OOM (allocation failed), ERR_FAISS_LIMIT (a result beyond a limit the
// caller set, e.g. range search's maxResults), ERR_FAISS_NATIVE (any other C++ exception).
struct Failure {
  std::string message;
  std::string code;
};

// Thrown by the addon's own work when a result would exceed a limit the caller set.
struct LimitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Failure describe(std::exception_ptr e);

Napi::Error toJsError(Napi::Env env, const Failure& f);

// Runs f; any C++ exception other than a Napi::Error leaves as a JS Error.
template <class F>
auto guarded(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw toJsError(env, describe(std::current_exception()));
  }
}

}  // namespace faisslab
