#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Pipelined binomial-tree broadcast (bcast_binomial.cpp).
void bcast_binomial(const P2PRun& run, MutableBytes data, int root);

}  // namespace fmi::detail::p2p
