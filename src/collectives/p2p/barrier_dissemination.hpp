#pragma once

#include "collectives/p2p/p2p_run.hpp"

namespace fmi::detail::p2p {

/// Dissemination barrier (barrier_dissemination.cpp).
void barrier_dissemination(const P2PRun& run);

}  // namespace fmi::detail::p2p
