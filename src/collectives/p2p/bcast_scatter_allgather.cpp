// Broadcast of a large message as a scatter followed by an allgather
// (Barnett, Payne, van de Geijn and Watts 1996; MPICH's large-message bcast).
//
// Steps: the message is split into P blocks (block_layout.hpp), block v
// belonging to the peer of rank v relative to the root.
//  1. Scatter down the binomial tree (binomial_tree.hpp): the root sends each
//     child the blocks of the child's subtree [v, v + count), largest subtree
//     first; a relay receives its subtree's blocks straight into the caller's
//     buffer (they sit at the same offsets on every peer, so no scratch) and
//     forwards its children's parts.
//  2. Allgather around the ring of actual peer ids (allgather_ring.cpp):
//     peer r starts with block (r - root) mod P and after P - 1 steps holds all.
//
// Bytes on the wire (n bytes, P peers): the root sends n (P - 1) / P in the
// scatter; every peer sends and receives n (P - 1) / P in the allgather, so
// no peer sends more than ~2n, against n ceil(log2 P) at the root of the
// binomial tree. Total n (P - 1) + the scatter's ~ n log2(P) / 2.
// Latency: ceil(log2 P) + P - 1 message steps: only for large messages.
#include "collectives/p2p/bcast_scatter_allgather.hpp"

#include "collectives/p2p/allgather_ring.hpp"
#include "collectives/p2p/binomial_tree.hpp"
#include "collectives/p2p/block_layout.hpp"
#include "collectives/p2p/segments.hpp"
#include "collectives/p2p/transfer.hpp"

namespace fmi::detail::p2p {

void bcast_scatter_allgather(const P2PRun& run, MutableBytes data, int root) {
    const int p = run.size();
    BinomialTree tree(run.rank(), root, p);
    BlockLayout blocks(data.size(), p, 1);
    const std::size_t unit = segment_unit(run.options.segment_bytes);

    if (tree.parent() >= 0) recv_region(run, tree.parent(), blocks.blocks_of(data, tree.vrank(), tree.count()), unit);
    for (int c = tree.num_children() - 1; c >= 0; --c) {
        const auto& child = tree.child(c);
        send_region(run, child.rank, blocks.blocks_of(ConstBytes(data), child.vrank, child.count), unit);
    }
    ring_allgather_blocks(run, data, blocks, (p - root) % p);
}

}  // namespace fmi::detail::p2p
