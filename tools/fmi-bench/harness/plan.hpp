// What to run for each (operation, size): the sizes, the iteration counts and
// the buffer memory, decided once from the options before anything runs.
#pragma once

#include "options.hpp"
#include "system.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace fmibench {

/// One measurement: an operation at one size.
struct SizePlan {
    Op op = Op::barrier;
    std::size_t bytes = 0;  ///< payload per message / per peer (reductions: whole floats)
    int iterations = 0;     ///< timed iterations (bandwidth: windows)
    int warmup = 0;         ///< untimed iterations before
    int batches = 0;        ///< samples; each is the mean of one batch of iterations
    int window = 1;         ///< bandwidth: messages per window
    int min_iterations = 1; ///< fit_to_time never goes below this
    double max_seconds = 0; ///< time budget of the timed iterations (0: none)
    std::size_t in_bytes = 0;   ///< size of the input (send) buffer on one peer
    std::size_t out_bytes = 0;  ///< size of the output (receive) buffer on one peer
    std::string skip;       ///< non-empty: why this measurement is skipped
};

/// The sizes to measure: --sizes, or the powers of two in [min, max] plus the
/// odd sizes in that range, sorted and without duplicates.
std::vector<std::size_t> message_sizes(const BenchOptions& options);

/// The plan of `op` at `bytes` for `num_peers` peers.
SizePlan plan_for(const BenchOptions& options, Op op, std::size_t bytes, int num_peers);

/// Cuts the timed iterations so they take about plan.max_seconds at
/// `seconds_per_iteration` (measured in the warm-up), never below
/// plan.min_iterations nor above the planned count; 0 leaves the plan.
void fit_to_time(SizePlan& plan, double seconds_per_iteration, double max_seconds);

/// Every plan of a run, operation by operation, in the order of options.ops
/// (the barrier, which has no size, once).
std::vector<SizePlan> plan_run(const BenchOptions& options, int num_peers);

/// True for operations that involve only peers 0 and 1.
bool is_point_to_point(Op op) noexcept;

/// True for operations on floats (sizes are whole floats).
bool is_reduction(Op op) noexcept;

}  // namespace fmibench
