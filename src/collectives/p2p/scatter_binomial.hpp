#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Binomial-tree scatter (scatter_binomial.cpp): the root's in
/// (P * out.size() bytes) is split in peer order; each peer gets its block in out.
void scatter_binomial(const P2PRun& run, ConstBytes in, MutableBytes out, int root);

}  // namespace fmi::detail::p2p
