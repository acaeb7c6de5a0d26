#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Strictly left-to-right reduce for any function (reduce_ordered.cpp).
/// out (in.size() bytes) is written at the root only; in may equal out.
void reduce_ordered(const P2PRun& run, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn);

}  // namespace fmi::detail::p2p
