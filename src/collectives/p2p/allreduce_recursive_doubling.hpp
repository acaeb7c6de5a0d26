#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Recursive-doubling allreduce for reorderable functions
/// (allreduce_recursive_doubling.cpp); in may equal out.
void allreduce_recursive_doubling(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn);

}  // namespace fmi::detail::p2p
