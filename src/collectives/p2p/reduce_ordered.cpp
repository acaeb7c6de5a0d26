// Reduce evaluated strictly left to right over peer ids,
// ((x0 (+) x1) (+) x2) ... (+) x(P-1), for functions that are not both
// commutative and associative. The root's own value enters at its own
// position, never as the seed (the original FMI seeded with the root's value
// and got non-commutative reductions wrong for root != 0).
//
// Steps: every non-root streams its input to the root in segments. The root,
// segment by segment, takes x0 (its own or received straight into the
// output), then receives x1, x2, ... in peer order into one reused scratch
// segment and folds each into the output as the right operand. Memory: one
// or two segments at the root, whatever the message size. When the output
// overlaps the input at a root other than 0, the root's own segment is saved
// first (receiving x0 into the output would overwrite it).
//
// Bytes on the wire (n bytes, P peers): each non-root sends n; the root
// receives (P - 1) n; total (P - 1) n. Latency: the root's link carries all
// of it, so ~ (P - 1) n / bandwidth plus one message step.
#include "collectives/p2p/reduce_ordered.hpp"

#include "collectives/p2p/segments.hpp"
#include "collectives/p2p/transfer.hpp"

namespace fmi::detail::p2p {

void reduce_ordered(const P2PRun& run, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn) {
    const int p = run.size(), r = run.rank();
    const std::size_t unit = segment_unit(run.options.segment_bytes, fn.element_size);
    if (r != root) {
        send_region(run, root, in, unit);
        return;
    }
    Segments segs(in.size(), unit);
    const bool save_own = root != 0 && overlaps(in, out);
    MutableBytes incoming = run.scratch.get(ScratchSlot::receive, p > 1 ? segs.max_length() : 0);
    MutableBytes saved = run.scratch.get(ScratchSlot::own, save_own ? segs.max_length() : 0);

    for (std::size_t i = 0; i < segs.count(); ++i) {
        const std::size_t off = segs.offset(i), len = segs.length(i);
        MutableBytes acc = out.subspan(off, len);
        ConstBytes own = in.subspan(off, len);
        if (save_own) {
            copy_bytes(saved.data(), own.data(), len);
            own = saved.first(len);
        }
        for (int peer = 0; peer < p; ++peer) {
            if (peer == 0) {
                if (root == 0) copy_bytes(acc.data(), own.data(), len);
                else run.recv(0, acc);
            } else if (peer == root) {
                combine(fn, acc.data(), own.data(), acc.data(), len);
            } else {
                MutableBytes segment = incoming.first(len);
                run.recv(peer, segment);
                combine(fn, acc.data(), segment.data(), acc.data(), len);
            }
        }
    }
}

}  // namespace fmi::detail::p2p
