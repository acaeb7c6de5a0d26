#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Inclusive scan along a chain of peers, for any function
/// (scan_linear.cpp); in may equal out.
void scan_linear(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn);

}  // namespace fmi::detail::p2p
