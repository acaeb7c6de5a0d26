// Inclusive scan by recursive doubling (Hillis and Steele 1986), for
// associative functions, commutative or not.
//
// Steps: peer r starts with its own value x_r. In round k = 0, 1, ...,
// ceil(log2 P) - 1, with d = 2^k, it sends its current partial result to
// r + d (if < P) and receives the partial result of r - d (if >= 0) with one
// sendrecv, then folds it in as the LEFT operand: what comes from lower peers
// is always on the left, so the result is x_0 (+) ... (+) x_r in peer order,
// regrouped only (associativity) and never reordered. After round k peer r
// holds x_max(0, r-2d+1) (+) ... (+) x_r. The grouping depends on P only, so
// repeated runs agree bitwise. Messages larger than segment_bytes run the
// whole scheme per segment (one reused scratch segment).
//
// Bytes on the wire (n bytes, P peers): peer r sends n in each round where
// r + d < P; total n sum_k (P - 2^k) ~ n (P log2 P - P). Latency:
// ceil(log2 P) message steps.
#include "collectives/p2p/scan_recursive_doubling.hpp"

#include "collectives/p2p/segments.hpp"

namespace fmi::detail::p2p {

void scan_recursive_doubling(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn) {
    const int p = run.size(), r = run.rank();
    Segments segs(in.size(), segment_unit(run.options.segment_bytes, fn.element_size));
    MutableBytes incoming = run.scratch.get(ScratchSlot::receive, p > 1 ? segs.max_length() : 0);

    for (std::size_t i = 0; i < segs.count(); ++i) {
        const std::size_t off = segs.offset(i), len = segs.length(i);
        MutableBytes result = out.subspan(off, len);
        MutableBytes lower = incoming.first(len);
        copy_bytes(result.data(), in.data() + off, len);
        for (int d = 1; d < p; d <<= 1) {
            const bool to_higher = r + d < p, from_lower = r - d >= 0;
            if (to_higher && from_lower) run.sendrecv(r + d, result, r - d, lower);
            else if (to_higher) run.send(r + d, result);
            else if (from_lower) run.recv(r - d, lower);
            if (from_lower) combine(fn, lower.data(), result.data(), result.data(), len);
        }
    }
}

}  // namespace fmi::detail::p2p
