// Ring allreduce: reduce-scatter around the ring, then allgather around the
// ring. Bandwidth-optimal for any P (no fold for non-powers of two) at the
// price of 2 (P - 1) message steps; for reorderable functions.
//
// Steps, the buffer split into P blocks of whole elements (block_layout.hpp):
//  1. Reduce-scatter, P - 1 steps s = 0..P-2: peer r sends block (r - s) mod P
//     to r + 1 and receives block (r - s - 1) mod P from r - 1 (one sendrecv
//     per segment), folding each received segment with its own input into
//     the output at once (one reused scratch segment). Step 0 sends from the
//     caller's input, later steps the partial result just computed. Peer r
//     ends with block (r + 1) mod P fully reduced; every other block of its
//     output is overwritten in step 2, so the output needs no initial copy.
//  2. Allgather, P - 1 steps: the ring circulation of allgather_ring.cpp,
//     straight into the output.
// Each block is reduced by exactly one peer, in a fixed order (ring order
// starting after the block's owner), so all peers get the same bits and
// repeated runs agree.
//
// Bytes on the wire (n bytes, P peers): each peer sends and receives
// 2 n (P - 1) / P; total 2 (P - 1) n. Latency: 2 (P - 1) message steps.
#include "collectives/p2p/allreduce_ring.hpp"

#include "collectives/p2p/allgather_ring.hpp"
#include "collectives/p2p/block_layout.hpp"
#include "collectives/p2p/segments.hpp"
#include "collectives/p2p/transfer.hpp"

namespace fmi::detail::p2p {

void allreduce_ring(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn) {
    const int p = run.size(), r = run.rank();
    if (p == 1) {
        copy_bytes(out.data(), in.data(), in.size());
        return;
    }
    const int next = (r + 1) % p, prev = (r - 1 + p) % p;
    const std::size_t unit = segment_unit(run.options.segment_bytes, fn.element_size);
    BlockLayout blocks(in.size() / fn.element_size, p, fn.element_size);
    MutableBytes incoming = run.scratch.get(ScratchSlot::receive, Segments(blocks.bytes(0), unit).max_length());

    for (int s = 0; s < p - 1; ++s) {
        const int send_block = ((r - s) % p + p) % p;
        const int recv_block = (send_block - 1 + p) % p;
        ConstBytes outgoing = blocks.blocks_of(s == 0 ? in : ConstBytes(out), send_block);
        const std::size_t base = blocks.offset(recv_block);
        exchange_region(
            run, next, outgoing, prev, blocks.bytes(recv_block), unit,
            [&](std::size_t, std::size_t length) { return incoming.first(length); },
            [&](std::size_t off, ConstBytes partial) {
                combine(fn, partial.data(), in.data() + base + off, out.data() + base + off, partial.size());
            });
    }
    ring_allgather_blocks(run, out, blocks, 1);
}

}  // namespace fmi::detail::p2p
