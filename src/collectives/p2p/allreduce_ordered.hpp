#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Strictly left-to-right allreduce for functions that are not reorderable
/// (allreduce_ordered.cpp); in may equal out.
void allreduce_ordered(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn);

}  // namespace fmi::detail::p2p
