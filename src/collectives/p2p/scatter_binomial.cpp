// Scatter down a binomial tree rooted at `root` (ranks relative to the root):
// the mirror image of gather_binomial.cpp.
//
// Steps: the root sends each child the blocks of the child's subtree
// [v, v + count) as one region, largest subtree first (it has the longest
// way to go), straight from the caller's buffer when the region's peer ids do
// not wrap around past P - 1, otherwise packed in scratch. A relay receives
// its subtree's region into scratch, forwards each child's part, largest
// first, and keeps its own block; a leaf receives straight into out.
//
// Memory stays bounded as in the gather: blocks move in slices of
// gather_scratch_bytes / P bytes per peer, one pass of the tree per slice.
//
// Bytes on the wire (n bytes per peer, P peers): peer v receives count(v) n
// from its parent; the root sends (P - 1) n; total n sum_v count(v) ~
// n (P/2) log2 P for a power of two. Latency: ceil(log2 P) message steps per slice.
#include "collectives/p2p/scatter_binomial.hpp"

#include "collectives/p2p/binomial_tree.hpp"
#include "collectives/p2p/segments.hpp"
#include "collectives/p2p/transfer.hpp"

namespace fmi::detail::p2p {

void scatter_binomial(const P2PRun& run, ConstBytes in, MutableBytes out, int root) {
    const int p = run.size(), r = run.rank();
    const std::size_t n = out.size();
    const std::size_t unit = segment_unit(run.options.segment_bytes);
    BinomialTree tree(r, root, p);
    Segments slices(n, segment_unit(run.options.gather_scratch_bytes / static_cast<std::size_t>(p)));
    const bool whole_blocks = slices.count() == 1;

    for (std::size_t s = 0; s < slices.count(); ++s) {
        const std::size_t off = slices.offset(s), len = slices.length(s);
        MutableBytes own = out.subspan(off, len);

        if (r == root) {
            for (int c = tree.num_children() - 1; c >= 0; --c) {
                const auto& child = tree.child(c);
                const std::size_t region = static_cast<std::size_t>(child.count) * len;
                if (whole_blocks && tree.in_peer_order(child)) {
                    const auto first = static_cast<std::size_t>(tree.actual(child.vrank));
                    send_region(run, child.rank, in.subspan(first * n, region), unit);
                    continue;
                }
                MutableBytes blocks = run.scratch.get(ScratchSlot::blocks, region);
                tree.for_each_block(child, [&](std::size_t j, std::size_t peer) {
                    copy_bytes(blocks.data() + j * len, in.data() + peer * n + off, len);
                });
                send_region(run, child.rank, blocks, unit);
            }
            copy_bytes(own.data(), in.data() + static_cast<std::size_t>(r) * n + off, len);
        } else if (tree.num_children() == 0) {
            recv_region(run, tree.parent(), own, unit);
        } else {
            MutableBytes blocks = run.scratch.get(ScratchSlot::blocks, static_cast<std::size_t>(tree.count()) * len);
            recv_region(run, tree.parent(), blocks, unit);
            for (int c = tree.num_children() - 1; c >= 0; --c) {
                const auto& child = tree.child(c);
                send_region(run, child.rank,
                            blocks.subspan(tree.offset_of(child) * len, static_cast<std::size_t>(child.count) * len),
                            unit);
            }
            copy_bytes(own.data(), blocks.data(), len);
        }
    }
}

}  // namespace fmi::detail::p2p
