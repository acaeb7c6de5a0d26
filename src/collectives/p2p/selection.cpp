// Which algorithm runs each collective. Thresholds live in P2POptions; this
// file records where they come from.
//
// MEASURED with tests/collectives/switch_points.cpp (p2p_switch_points):
// separate processes over the direct TCP channel on loopback, 2 cores,
// float sums, the slowest peer's mean time per operation, best of 5
// interleaved repetitions. Concurrent builds of other components kept 4-5
// processes runnable during the second session below (9-12 during the
// first), so times carry noise; the orderings held across reruns. Re-measure
// on an idle machine before trusting the last few percent.
//
// Allreduce, us per op (RD = recursive doubling, Rab = Rabenseifner),
// second session, 512 KiB segments:
//          64 KiB           128 KiB          256 KiB          512 KiB
//   P=2   RD 74 Rab 98     RD 76 Rab 95     RD 176 Rab 193   RD 324 Rab 256
//   P=4   RD 249 Rab 315   RD 381 Rab 408   RD 613 Rab 469   RD 1425 Rab 906
//   P=8   RD 709 Rab 844   RD 1103 Rab 1039 RD 2071 Rab 1387 RD 3348 Rab 1803
//   (ring: 92/90/183/304 at P=2, 441/444/602/999 at P=4, 1179/1587/1674/2458 at P=8)
//   1 MiB: P=2 Rab 388 ring 423 | P=4 Rab 1048 ring 1507 | P=8 Rab 2815 ring 4197
//   64 MiB: P=2 Rab 34.9 ms ring 33.7 | P=4 Rab 107 ms ring 137 | P=8 Rab 150 ms ring 283
// First session (heavier load), non-powers of two, 512 KiB segments:
//   P=3  2 MiB: Rab 5121 ring 3887 | 8 MiB: Rab 60984 ring 27124 | 16 MiB: 99646 vs 78983
//   P=6  1 MiB: Rab 3508 ring 3117 | 4 MiB: Rab 88446 ring 24841 | 16 MiB: 208342 vs 199954
// So: recursive doubling up to 128 KiB (crossover 128-256 KiB at 2 and 4
// peers, ~128 KiB at 8: RD sends n log2 P per peer against Rab's 2n).
// Above it Rabenseifner for powers of two (fewest steps; ahead of the ring
// at every size measured but 64 MiB at 2 peers, a tie), the ring for every
// other peer count (Rabenseifner's fold makes 2 rem peers carry an extra n
// and idles the others).
// Segments: 64 MiB at P=2 took 63-65 ms with 512 KiB segments against
// 160-250 ms with 1 MiB ones in interleaved runs of the first session,
// hence segment_bytes.
//
// Bcast, us per op:  P=4 1 MiB: binomial 4595 scatter+allgather 6764
//   8 MiB: 27803 vs 38131 | P=8 1 MiB: 5959 vs 6805, 8 MiB: 59016 vs 93551.
// On one host the tree's smaller total ((P - 1) n) wins; van de Geijn's
// per-link balance only pays on a real network, so it is never chosen
// automatically by default (bcast_scatter_allgather_min_bytes).
//
// Scan: recursive doubling for associative functions, the linear chain for
// the others (the chain is the only order-preserving one without regrouping).
//
// A pin (the user's, through the model: OpContext::algorithm) names the
// algorithm outright and wins over the options; functions it is not correct
// for keep their ordered algorithm (p2p_backend.cpp, choose_scan).
#include "collectives/p2p/selection.hpp"

#include <fmi/errors.hpp>

#include <string>

namespace fmi::detail::p2p {

namespace {

/// The algorithm of `all` whose name is `pinned` (to_string of each).
template <class Algorithm, std::size_t K>
Algorithm parse_pinned(const char* op, std::string_view pinned, const Algorithm (&all)[K]) {
    std::string names;
    for (Algorithm a : all) {
        if (pinned == to_string(a)) return a;
        names += (names.empty() ? "" : ", ") + std::string(to_string(a));
    }
    throw UsageError(std::string("p2p ") + op + ": no algorithm '" + std::string(pinned) + "' (" + names + ")");
}

}  // namespace

BcastAlgorithm choose_bcast(const P2POptions& options, std::size_t bytes, int peers, std::string_view pinned) {
    if (!pinned.empty())
        return parse_pinned("bcast", pinned, {BcastAlgorithm::binomial, BcastAlgorithm::scatter_allgather});
    if (options.bcast != BcastAlgorithm::automatic) return options.bcast;
    if (peers >= options.bcast_scatter_allgather_min_peers && bytes >= options.bcast_scatter_allgather_min_bytes)
        return BcastAlgorithm::scatter_allgather;
    return BcastAlgorithm::binomial;
}

AllreduceAlgorithm choose_allreduce(const P2POptions& options, std::size_t bytes, int peers,
                                    std::string_view pinned) {
    if (!pinned.empty())
        return parse_pinned("allreduce", pinned,
                            {AllreduceAlgorithm::recursive_doubling, AllreduceAlgorithm::rabenseifner,
                             AllreduceAlgorithm::ring});
    if (options.allreduce != AllreduceAlgorithm::automatic) return options.allreduce;
    if (bytes <= options.allreduce_recursive_doubling_max_bytes) return AllreduceAlgorithm::recursive_doubling;
    const bool power_of_two = (peers & (peers - 1)) == 0;
    if (power_of_two && bytes <= options.allreduce_rabenseifner_max_bytes) return AllreduceAlgorithm::rabenseifner;
    return AllreduceAlgorithm::ring;
}

ScanAlgorithm choose_scan(const P2POptions& options, const ReduceFn& fn, std::string_view pinned) {
    if (!fn.associative) return ScanAlgorithm::linear;
    if (!pinned.empty())
        return parse_pinned("scan", pinned, {ScanAlgorithm::recursive_doubling, ScanAlgorithm::linear});
    if (options.scan != ScanAlgorithm::automatic) return options.scan;
    return ScanAlgorithm::recursive_doubling;
}

const char* to_string(BcastAlgorithm a) noexcept {
    switch (a) {
        case BcastAlgorithm::automatic: return "automatic";
        case BcastAlgorithm::binomial: return "binomial";
        case BcastAlgorithm::scatter_allgather: return "scatter_allgather";
    }
    return "unknown";
}

const char* to_string(AllreduceAlgorithm a) noexcept {
    switch (a) {
        case AllreduceAlgorithm::automatic: return "automatic";
        case AllreduceAlgorithm::recursive_doubling: return "recursive_doubling";
        case AllreduceAlgorithm::rabenseifner: return "rabenseifner";
        case AllreduceAlgorithm::ring: return "ring";
    }
    return "unknown";
}

const char* to_string(ScanAlgorithm a) noexcept {
    switch (a) {
        case ScanAlgorithm::automatic: return "automatic";
        case ScanAlgorithm::recursive_doubling: return "recursive_doubling";
        case ScanAlgorithm::linear: return "linear";
    }
    return "unknown";
}

}  // namespace fmi::detail::p2p
