// Helpers for the quantizing indexes (IndexPQ, IndexIVFPQ, IndexScalarQuantizer,
// IndexIVFScalarQuantizer, IndexHNSWSQ, IndexHNSWPQ), used by index_wrap.cc.
#pragma once
#include <faiss/Index.h>
#include <napi.h>

#include <string>

namespace faisslab {

// A read-only parameter of a quantizing index (pqM, pqNbits, pqKsub, pqDsub,
// sqType, codeSize, saCodeSize, byResidual, polysemous, precomputedTable): true and
// *out set when `name` is one and idx has it; throws when idx lacks it.
bool quantizerParam(Napi::Env env, const faiss::Index* idx, const std::string& name, double* out);

// by_residual of an IndexIVFPQ / IndexIVFScalarQuantizer, before training only.
void setByResidual(Napi::Env env, faiss::Index* idx, bool on);

}  // namespace faisslab
