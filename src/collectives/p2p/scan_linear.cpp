// Inclusive scan along the chain 0 -> 1 -> ... -> P-1, strictly left to
// right: for functions that are not associative (any function works).
//
// Steps: peer 0's result is its own value. Peer i > 0 receives the prefix
// x_0 (+) ... (+) x_(i-1) from i - 1 into a reused scratch segment, computes
// prefix (+) x_i into its output and passes that on to i + 1. Segment by
// segment (segment_bytes), so a long chain pipelines: peer i works on segment
// j + 1 while peer i + 1 works on segment j.
//
// Bytes on the wire (n bytes, P peers): every peer but the last sends n;
// total (P - 1) n. Latency: P - 1 message steps for a one-segment message,
// about (P - 1) segment steps + n / bandwidth for many segments.
#include "collectives/p2p/scan_linear.hpp"

#include "collectives/p2p/segments.hpp"

namespace fmi::detail::p2p {

void scan_linear(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn) {
    const int p = run.size(), r = run.rank();
    Segments segs(in.size(), segment_unit(run.options.segment_bytes, fn.element_size));
    MutableBytes incoming = run.scratch.get(ScratchSlot::receive, r > 0 ? segs.max_length() : 0);

    for (std::size_t i = 0; i < segs.count(); ++i) {
        const std::size_t off = segs.offset(i), len = segs.length(i);
        MutableBytes result = out.subspan(off, len);
        if (r > 0) {
            MutableBytes prefix = incoming.first(len);
            run.recv(r - 1, prefix);
            combine(fn, prefix.data(), in.data() + off, result.data(), len);
        } else {
            copy_bytes(result.data(), in.data() + off, len);
        }
        if (r + 1 < p) run.send(r + 1, result);
    }
}

}  // namespace fmi::detail::p2p
