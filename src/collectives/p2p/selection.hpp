// The policy that picks an algorithm per operation, kept apart from the
// algorithms (as Open MPI's coll/tuned decision files are): size and peer
// count in, algorithm out. Every peer computes the same choice from the same
// arguments, so the choice is part of the deterministic combination order.
#pragma once

#include "collectives/p2p/p2p_options.hpp"

#include <fmi/ops.hpp>

#include <cstddef>
#include <string_view>

namespace fmi::detail::p2p {

// `pinned` is the algorithm pinned for the operation (OpContext::algorithm,
// the model's name for it: "binomial", "ring", ...): it wins over the
// options' override and the size-based choice. An unknown name is a
// UsageError.

BcastAlgorithm choose_bcast(const P2POptions& options, std::size_t bytes, int peers, std::string_view pinned = {});

/// For reorderable functions only (others use the ordered reduce + bcast).
AllreduceAlgorithm choose_allreduce(const P2POptions& options, std::size_t bytes, int peers,
                                    std::string_view pinned = {});

/// Non-associative functions always take the linear chain, whatever is pinned.
ScanAlgorithm choose_scan(const P2POptions& options, const ReduceFn& fn, std::string_view pinned = {});

const char* to_string(BcastAlgorithm a) noexcept;
const char* to_string(AllreduceAlgorithm a) noexcept;
const char* to_string(ScanAlgorithm a) noexcept;

}  // namespace fmi::detail::p2p
