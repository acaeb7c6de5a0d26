#pragma once

#include "collectives/p2p/block_layout.hpp"
#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Ring allgather (allgather_ring.cpp): out (P * in.size() bytes) receives
/// every peer's in, in peer order.
void allgather_ring(const P2PRun& run, ConstBytes in, MutableBytes out);

/// The ring's circulation on a buffer already split into P blocks, where
/// peer r starts with block (r + shift) mod P and ends with all of them.
/// Used by allgather_ring (shift 0), the ring allreduce (shift 1) and the
/// van de Geijn bcast.
void ring_allgather_blocks(const P2PRun& run, MutableBytes buffer, const BlockLayout& blocks, int shift);

}  // namespace fmi::detail::p2p
