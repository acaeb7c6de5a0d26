#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Binomial-tree gather (gather_binomial.cpp): out (P * in.size() bytes, at
/// the root only) receives every peer's in, in peer order.
void gather_binomial(const P2PRun& run, ConstBytes in, MutableBytes out, int root);

}  // namespace fmi::detail::p2p
