// Which algorithm runs each collective. Thresholds live in P2POptions; this
// file records where they come from.
//
// MEASURED with tests/collectives/switch_points.cpp (p2p_switch_points):
// separate processes over the direct TCP channel on loopback, 2 cores,
// float sums, the slowest peer's mean time per operation, best of 5
// interleaved repetitions. The machine carried a background load of 9-12
// runnable processes from concurrent builds during the measurement, so the
// absolute times are inflated and noisy; the orderings below held across
// reruns. PROVISIONAL: re-measure on an idle machine.
//
// Allreduce, us per op (RD = recursive doubling, Rab = Rabenseifner; 1 MiB
// segments unless noted):
//   P=2  64 KiB: RD 98   Rab 131   ring 139 | 256 KiB: RD 233  Rab 236  ring 241
//   P=4  64 KiB: RD 263  Rab 372   ring 538 | 128 KiB: RD 612  Rab 415  ring 576
//   P=8  64 KiB: RD 744  Rab 1248  ring 1835 | 128 KiB: RD 1337 Rab 1289 ring 1879
//   512 KiB segments:
//   P=8  1 MiB: Rab 5763 ring 5541 | 4 MiB: Rab 29038 ring 36012
//        8 MiB: Rab 65417 ring 89172 | 64 MiB: Rab 556312 ring 982995
//   P=4  64 MiB: Rab 256415 ring 355233
//   P=3  2 MiB: Rab 5121 ring 3887 | 8 MiB: Rab 60984 ring 27124 | 16 MiB: 99646 vs 78983
//   P=6  1 MiB: Rab 3508 ring 3117 | 4 MiB: Rab 88446 ring 24841 | 16 MiB: 208342 vs 199954
// So: recursive doubling up to 64 KiB (crossover 64-128 KiB at 4 and 8
// peers; at 2 peers RD and Rab move the same bytes and stay level up to
// ~512 KiB). Above it Rabenseifner for powers of two (fewer steps; level or
// ahead everywhere measured), the ring for every other peer count
// (Rabenseifner's fold makes 2 rem peers carry an extra n and idles the others).
// Segments: 64 MiB at P=2 took 63-65 ms with 512 KiB segments against
// 160-250 ms with 1 MiB ones (interleaved runs), hence segment_bytes.
//
// Bcast, us per op:  P=4 1 MiB: binomial 4595 scatter+allgather 6764
//   8 MiB: 27803 vs 38131 | P=8 1 MiB: 5959 vs 6805, 8 MiB: 59016 vs 93551.
// On one host the tree's smaller total ((P - 1) n) wins; van de Geijn's
// per-link balance only pays on a real network, so it is never chosen
// automatically by default (bcast_scatter_allgather_min_bytes).
//
// Scan: recursive doubling for associative functions, the linear chain for
// the others (the chain is the only order-preserving one without regrouping).
#include "collectives/p2p/selection.hpp"

namespace fmi::detail::p2p {

BcastAlgorithm choose_bcast(const P2POptions& options, std::size_t bytes, int peers) {
    if (options.bcast != BcastAlgorithm::automatic) return options.bcast;
    if (peers >= options.bcast_scatter_allgather_min_peers && bytes >= options.bcast_scatter_allgather_min_bytes)
        return BcastAlgorithm::scatter_allgather;
    return BcastAlgorithm::binomial;
}

AllreduceAlgorithm choose_allreduce(const P2POptions& options, std::size_t bytes, int peers) {
    if (options.allreduce != AllreduceAlgorithm::automatic) return options.allreduce;
    if (bytes <= options.allreduce_recursive_doubling_max_bytes) return AllreduceAlgorithm::recursive_doubling;
    const bool power_of_two = (peers & (peers - 1)) == 0;
    if (power_of_two && bytes <= options.allreduce_rabenseifner_max_bytes) return AllreduceAlgorithm::rabenseifner;
    return AllreduceAlgorithm::ring;
}

ScanAlgorithm choose_scan(const P2POptions& options, const ReduceFn& fn) {
    if (!fn.associative) return ScanAlgorithm::linear;
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
