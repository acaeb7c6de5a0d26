// Tuning of the peer-to-peer algorithms: switch points, segment sizes and
// algorithm overrides, with the defaults the communicator uses. Tests shrink
// the segment sizes so small inputs reach the multi-segment paths.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fmi::detail::p2p {

/// Which bcast algorithm to run (automatic: chosen by size, see selection.cpp).
enum class BcastAlgorithm { automatic, binomial, scatter_allgather };

/// Which allreduce algorithm to run for reorderable (commutative and
/// associative) functions. Other functions always use the ordered algorithm.
enum class AllreduceAlgorithm { automatic, recursive_doubling, rabenseifner, ring };

/// Which scan algorithm to run for associative functions. Non-associative
/// functions always use the linear chain.
enum class ScanAlgorithm { automatic, recursive_doubling, linear };

struct P2POptions {
    /// Largest message the algorithms send, in bytes, and the size of each
    /// reusable scratch buffer: bigger regions are split into segments of
    /// this size (rounded down to whole elements), so a 1 GiB allreduce needs
    /// half a MiB of scratch, not GiBs. 512 KiB measured fastest for large
    /// allreduces (selection.cpp): a received segment and the operands it is
    /// folded with stay near the 512 KiB per-core L2 of our machines, while
    /// the per-message overhead (~20 us on loopback) stays small.
    std::size_t segment_bytes = 512u << 10;

    /// Segment of the pipelined binomial bcast, in bytes: a relay forwards
    /// segment i while segment i+1 is in flight to it. Smaller segments fill
    /// the pipeline sooner; larger ones cost fewer messages.
    std::size_t bcast_segment_bytes = 256u << 10;

    /// Smallest message (bytes) for which bcast uses van de Geijn's scatter +
    /// ring allgather instead of the binomial tree, from
    /// bcast_scatter_allgather_min_peers peers on. It sends ~2n bytes per
    /// peer instead of n ceil(log2 P) at the root, which pays where every link
    /// has its own bandwidth; on one host (loopback, 2 cores) the tree's
    /// smaller total, (P - 1) n, won at 4 and 8 peers up to 8 MiB (see
    /// selection.cpp), so by default it is never chosen automatically.
    std::size_t bcast_scatter_allgather_min_bytes = SIZE_MAX;
    int bcast_scatter_allgather_min_peers = 4;

    /// Largest message (bytes) for which allreduce uses recursive doubling
    /// (log2 P steps of n bytes); above it reduce-scatter + allgather, which
    /// send 2n(P-1)/P bytes per peer. Measured crossover 128-256 KiB at 2 and
    /// 4 peers, ~128 KiB at 8 (selection.cpp).
    std::size_t allreduce_recursive_doubling_max_bytes = 128u << 10;

    /// Above the recursive-doubling range, when P is a power of two:
    /// Rabenseifner (2 log2 P steps) up to this size, the ring (2(P-1) steps)
    /// beyond. Other peer counts always take the ring: it has no fold for
    /// non-powers of two. Measured: Rabenseifner ahead of the ring at 4 and
    /// 8 peers up to 64 MiB (selection.cpp), so no limit by default.
    std::size_t allreduce_rabenseifner_max_bytes = SIZE_MAX;

    /// Scratch budget (bytes) of the binomial gather and scatter: a relay
    /// holds its subtree's blocks, so blocks are moved in slices of
    /// gather_scratch_bytes / P bytes per peer.
    std::size_t gather_scratch_bytes = 16u << 20;

    /// Overrides of the size-based choice (benchmarks, tests).
    BcastAlgorithm bcast = BcastAlgorithm::automatic;
    AllreduceAlgorithm allreduce = AllreduceAlgorithm::automatic;
    ScanAlgorithm scan = ScanAlgorithm::automatic;

    /// Test-only: every segment and slice limit set to `bytes`, so inputs of
    /// a few hundred bytes already take the multi-segment paths.
    static P2POptions with_small_segments(std::size_t bytes) {
        P2POptions o;
        o.segment_bytes = bytes;
        o.bcast_segment_bytes = bytes;
        o.gather_scratch_bytes = bytes;
        return o;
    }
};

}  // namespace fmi::detail::p2p
