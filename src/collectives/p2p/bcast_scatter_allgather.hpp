#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Van de Geijn's broadcast: binomial scatter, then ring allgather
/// (bcast_scatter_allgather.cpp).
void bcast_scatter_allgather(const P2PRun& run, MutableBytes data, int root);

}  // namespace fmi::detail::p2p
