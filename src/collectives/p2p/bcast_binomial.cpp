// Broadcast down a binomial tree rooted at `root`, pipelined by segments.
//
// Steps: ranks are taken relative to the root (binomial_tree.hpp). For each
// segment of bcast_segment_bytes: a non-root receives it from its parent
// straight into the caller's buffer, then every peer forwards it to its
// children, largest subtree first (the deepest subtree starts earliest).
// While a relay forwards segment i, segment i+1 is already in flight to it,
// so a large message costs about one tree depth plus n / bandwidth rather
// than log2(P) full transfers.
//
// Bytes on the wire (n bytes, P peers): each non-root receives n once; the
// root sends n to each of its ceil(log2 P) children; total (P - 1) n.
// Latency: ceil(log2 P) message steps for a one-segment message.
#include "collectives/p2p/bcast_binomial.hpp"

#include "collectives/p2p/binomial_tree.hpp"
#include "collectives/p2p/segments.hpp"

namespace fmi::detail::p2p {

void bcast_binomial(const P2PRun& run, MutableBytes data, int root) {
    BinomialTree tree(run.rank(), root, run.size());
    Segments segs(data.size(), segment_unit(run.options.bcast_segment_bytes));
    for (std::size_t i = 0; i < segs.count(); ++i) {
        MutableBytes segment = data.subspan(segs.offset(i), segs.length(i));
        if (tree.parent() >= 0) run.recv(tree.parent(), segment);
        for (int c = tree.num_children() - 1; c >= 0; --c) run.send(tree.child(c).rank, segment);
    }
}

}  // namespace fmi::detail::p2p
