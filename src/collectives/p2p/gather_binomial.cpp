// Gather up a binomial tree rooted at `root` (ranks relative to the root).
//
// Steps: each peer v collects the blocks of its subtree [v, v + count) in
// relative order: its own block, then each child's subtree as one region,
// children by increasing subtree size (the small ones are ready first), and
// sends the whole region to its parent. Relays hold their subtree's blocks in
// a reused scratch buffer. The root receives each child's region straight
// into the output when the region's peer ids do not wrap around past P - 1,
// otherwise through scratch, then copies it into place.
//
// Memory stays bounded: the blocks move in slices of gather_scratch_bytes / P
// bytes per peer (one pass of the tree per slice), so a relay never holds
// more than gather_scratch_bytes. With more than one slice the root always
// receives through scratch (a slice of each block is not contiguous in out).
//
// Bytes on the wire (n bytes per peer, P peers): peer v sends count(v) n to
// its parent; the root receives (P - 1) n; total over all links
// n sum_v count(v) ~ n (P/2) log2 P for a power of two. Latency:
// ceil(log2 P) message steps per slice.
#include "collectives/p2p/gather_binomial.hpp"

#include "collectives/p2p/binomial_tree.hpp"
#include "collectives/p2p/segments.hpp"
#include "collectives/p2p/transfer.hpp"

#include <cstring>

namespace fmi::detail::p2p {

void gather_binomial(const P2PRun& run, ConstBytes in, MutableBytes out, int root) {
    const int p = run.size(), r = run.rank();
    const std::size_t n = in.size();
    const std::size_t unit = segment_unit(run.options.segment_bytes);
    BinomialTree tree(r, root, p);
    Segments slices(n, segment_unit(run.options.gather_scratch_bytes / static_cast<std::size_t>(p)));
    const bool whole_blocks = slices.count() == 1;

    for (std::size_t s = 0; s < slices.count(); ++s) {
        const std::size_t off = slices.offset(s), len = slices.length(s);
        ConstBytes own = in.subspan(off, len);

        if (r == root) {
            copy_bytes(out.data() + static_cast<std::size_t>(r) * n + off, own.data(), len);
            for (int c = 0; c < tree.num_children(); ++c) {
                const auto& child = tree.child(c);
                const std::size_t region = static_cast<std::size_t>(child.count) * len;
                if (whole_blocks && tree.in_peer_order(child)) {
                    const auto first = static_cast<std::size_t>(tree.actual(child.vrank));
                    recv_region(run, child.rank, out.subspan(first * n, region), unit);
                    continue;
                }
                MutableBytes blocks = run.scratch.get(ScratchSlot::blocks, region);
                recv_region(run, child.rank, blocks, unit);
                tree.for_each_block(child, [&](std::size_t j, std::size_t peer) {
                    copy_bytes(out.data() + peer * n + off, blocks.data() + j * len, len);
                });
            }
        } else if (tree.num_children() == 0) {
            send_region(run, tree.parent(), own, unit);
        } else {
            MutableBytes blocks = run.scratch.get(ScratchSlot::blocks, static_cast<std::size_t>(tree.count()) * len);
            copy_bytes(blocks.data(), own.data(), len);
            for (int c = 0; c < tree.num_children(); ++c) {
                const auto& child = tree.child(c);
                recv_region(run, child.rank,
                            blocks.subspan(tree.offset_of(child) * len, static_cast<std::size_t>(child.count) * len),
                            unit);
            }
            send_region(run, tree.parent(), blocks, unit);
        }
    }
}

}  // namespace fmi::detail::p2p
