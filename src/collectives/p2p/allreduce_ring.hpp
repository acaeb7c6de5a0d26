#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Ring allreduce (reduce-scatter around the ring, then the ring allgather)
/// for reorderable functions (allreduce_ring.cpp); in may equal out.
void allreduce_ring(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn);

}  // namespace fmi::detail::p2p
