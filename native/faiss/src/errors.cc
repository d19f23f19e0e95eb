#include "errors.h"

#include <faiss/impl/FaissException.h>

#include <new>

namespace faisslab {

Failure describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const faiss::FaissException& fe) {
    return {fe.msg, "ERR_FAISS"};
  } catch (const LimitError& le) {
    return {le.what(), "ERR_FAISS_LIMIT"};
  } catch (const std::bad_alloc&) {
    return {"faiss ran out of memory (std::bad_alloc): the index or the result is too large for this machine",
            "ERR_FAISS_OOM"};
  } catch (const std::exception& se) {
    return {se.what(), "ERR_FAISS_NATIVE"};
  } catch (...) {
    return {"unknown C++ exception in faiss", "ERR_FAISS_NATIVE"};
  }
}

Napi::Error toJsError(Napi::Env env, const Failure& f) {
  Napi::Error err = Napi::Error::New(env, f.message);
  err.Set("code", Napi::String::New(env, f.code));
  return err;
}

}  // namespace faisslab
