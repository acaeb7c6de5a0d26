// The measurement loops, the same for every system:
//
//   pingpong   peer 0 sends, peer 1 echoes; a sample is the mean of half a
//              round trip over one batch (latency)
//   bandwidth  peer 0 sends a window of messages back to back, peer 1
//              receives them and answers 1 byte; a sample is one window's
//              time divided by its messages (bandwidth = bytes / sample)
//   others     every peer runs a barrier, then a batch of back-to-back
//              operations; a sample is the batch's mean per operation on
//              the slowest peer (max over peers, exchanged after timing)
// Warm-up iterations run first, untimed for the results but timed to cut
// the timed iterations of slow systems to a time budget (run.cpp).
//
// Buffers are allocated once for the largest plan and touched before any
// timing, so no page fault of ours is measured (one costs ~14 us here).
#pragma once

#include "plan.hpp"
#include "system.hpp"

#include <cstddef>
#include <vector>

namespace fmibench {

/// The input and output buffers of every measurement, reused across sizes.
class Buffers {
public:
    Buffers(std::size_t in_bytes, std::size_t out_bytes);
    MutableBytes in(std::size_t bytes);
    MutableBytes out(std::size_t bytes);
    std::span<float> in_floats(std::size_t count);
    std::span<float> out_floats(std::size_t count);
    MutableBytes ack() { return MutableBytes(&ack_, 1); }

private:
    std::vector<float> in_, out_;  // floats: reductions read them as floats
    std::byte ack_{};
};

/// Buffers large enough for every plan (zero-filled, so every page is touched).
Buffers buffers_for(const std::vector<SizePlan>& plans);

/// Runs the plan's operation once on whatever the buffers hold.
void run_once(System& system, const SizePlan& plan, Buffers& buffers, int root);

/// Runs the operation once on known data and checks the result on every
/// peer. Returns true when every peer found its result right (all peers get
/// the same answer).
bool check_once(System& system, const SizePlan& plan, Buffers& buffers, int root);

/// Runs the plan's warm-up iterations; returns the slowest peer's mean time
/// per iteration (a round trip, a window, an operation), 0 without warm-up.
double warm_up(System& system, const SizePlan& plan, Buffers& buffers, int root);

/// Runs the timed batches. Returns one sample per batch in seconds per
/// operation (pingpong: one way; bandwidth: per message), the slowest
/// peer's, the same on every peer.
std::vector<double> time_batches(System& system, const SizePlan& plan, Buffers& buffers, int root);

}  // namespace fmibench
