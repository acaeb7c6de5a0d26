// The measurements fmi-calibrate makes, on whatever channel the communicator
// is pinned to. Each returns seconds; every peer of the communicator calls
// each function (peers not taking part just skip), so calls stay matched.
#pragma once

#include <fmi/communicator.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace fmi::calibrate {

/// Buffers allocated and touched once (a first touch costs ~14 us per page here).
struct Buffers {
    /// `in_bytes` of input, `out_bytes` of output (N blocks for gather and allgather).
    Buffers(std::size_t in_bytes, std::size_t out_bytes);
    std::vector<std::byte> in, out, ack;
};

/// Half the median round trip of `bytes` between peers `a` and `b` (both ways),
/// as seen by `a`; 0 on every other peer.
double ping_pong(Communicator& comm, int a, int b, std::size_t bytes, int reps, Buffers& buf);

/// The largest of every peer's value.
double slowest(Communicator& comm, double value);

/// The median median: values sorted, middle one (mean of the two middle ones).
double median(std::vector<double> values);

/// Bytes per second of an element-wise float sum over touched memory, the
/// slowest peer's while all peers compute at once (as in a collective).
double reduce_speed(Communicator& comm, Buffers& buf);

/// How an operation is timed: `batches` batches of `reps` back-to-back
/// operations, after an untimed batch of `warm_up_reps` (0: none). The
/// direct channel adapts its spin-before-sleep to the traffic it sees, and
/// S3 its first pause to the waits it saw: untimed, the first rounds (2-3x
/// slower here) do not count.
struct Timing {
    int reps = 1;
    int batches = 3;
    int warm_up_reps = 0;
};

/// Seconds per operation: each batch after a barrier, the slowest peer's
/// mean; the median batch. For send: a ping-pong between peers 0 and 1, half
/// a round trip.
double time_operation(Communicator& comm, Operation op, std::size_t bytes, const Timing& timing, Buffers& buf);

/// How many operations fill a batch of about `batch_seconds` (1 to
/// `most_reps`), each taking `seconds` (time_operation's figure: for send,
/// half a round trip, and a repetition is a whole one).
int reps_per_batch(Operation op, double seconds, double batch_seconds, int most_reps);

/// Batches of operations of about a given length, after a warm-up of a
/// given length. No defaults of its own: calibration fills every field from
/// its Options (--batch-seconds, --batches, --max-reps).
struct Batching {
    double batch_seconds;
    int batches;
    int most_reps;
    double warm_up_seconds;
};

/// Warms up with untimed operations, one at a time, for about
/// `warm_up_seconds` (at least one, at most `most_reps`), then returns the
/// timing of `batches` batches of about `batch_seconds` (1 to `most_reps`
/// operations, by the last warm-up operation's time). Each warm-up time is
/// the slowest peer's, so every peer stops after the same one. By time
/// rather than by a count taken from the first operation: a slow first one
/// (likely a store still busy with the cleanup of a larger size) made the
/// warm-up a few operations long, and in two validations the first
/// calibration timed the 2-peer 8-byte S3 allreduce at 55-65 ms where
/// --verify measured 12-15.
Timing warmed_up_batches(Communicator& comm, Operation op, std::size_t bytes, const Batching& batching,
                         Buffers& buf);

}  // namespace fmi::calibrate
