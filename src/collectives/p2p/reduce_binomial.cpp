// Reduce up a binomial tree rooted at `root`, pipelined by segments. Only for
// reorderable (commutative and associative) functions: the tree regroups and
// reorders the operands. The combination order is fixed by P and the root, so
// repeated runs give bitwise identical results.
//
// Steps: for each segment (segment_bytes, whole elements): a peer receives
// each child's partial result, children by increasing subtree size (the
// small ones are ready first), and folds it into its accumulator, then sends
// the accumulator to its parent. The first fold reads the caller's input
// directly (it is never written); the accumulator is the output at the root
// and a reused scratch segment at relays, and a leaf sends its input as is.
// Segments pipeline: a leaf streams all of them while its parent folds.
//
// Bytes on the wire (n bytes, P peers): every non-root sends n to its parent;
// the root receives ceil(log2 P) n; total (P - 1) n. Latency: ceil(log2 P)
// message steps for a one-segment message. Reductions: (P - 1) n / element
// bytes calls' worth of element operations, ceil(log2 P) n at the root.
#include "collectives/p2p/reduce_binomial.hpp"

#include "collectives/p2p/binomial_tree.hpp"
#include "collectives/p2p/segments.hpp"

namespace fmi::detail::p2p {

void reduce_binomial(const P2PRun& run, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn) {
    const int r = run.rank();
    BinomialTree tree(r, root, run.size());
    Segments segs(in.size(), segment_unit(run.options.segment_bytes, fn.element_size));
    const bool relay = r != root && tree.num_children() > 0;
    MutableBytes incoming = run.scratch.get(ScratchSlot::receive, tree.num_children() ? segs.max_length() : 0);
    MutableBytes partial = run.scratch.get(ScratchSlot::accumulate, relay ? segs.max_length() : 0);

    for (std::size_t i = 0; i < segs.count(); ++i) {
        const std::size_t off = segs.offset(i), len = segs.length(i);
        std::byte* acc = r == root ? out.data() + off : partial.data();
        const std::byte* current = in.data() + off;  // this peer's partial result so far
        for (int c = 0; c < tree.num_children(); ++c) {
            MutableBytes segment = incoming.first(len);
            run.recv(tree.child(c).rank, segment);
            combine(fn, current, segment.data(), acc, len);
            current = acc;
        }
        if (r == root) copy_bytes(acc, current, len);  // P == 1: no child folded into out
        else run.send(tree.parent(), ConstBytes(current, len));
    }
}

}  // namespace fmi::detail::p2p
