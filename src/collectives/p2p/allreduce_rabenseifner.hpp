#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Rabenseifner's allreduce (reduce-scatter by recursive halving, allgather
/// by recursive doubling) for reorderable functions
/// (allreduce_rabenseifner.cpp); in may equal out.
void allreduce_rabenseifner(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn);

}  // namespace fmi::detail::p2p
