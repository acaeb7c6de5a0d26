// Allgather around a ring.
//
// Steps: peer r copies its block into place, then in P - 1 steps s = 0..P-2
// sends block (r - s) mod P to r + 1 and receives block (r - s - 1) mod P
// from r - 1 with one sendrecv, straight into the output: every block
// travels once around the ring. Blocks bigger than segment_bytes go in
// segments.
//
// Bytes on the wire (n bytes per peer, P peers): each peer sends and
// receives (P - 1) n; total P (P - 1) n, the minimum for allgather.
// Latency: P - 1 message steps.
#include "collectives/p2p/allgather_ring.hpp"

#include "collectives/p2p/segments.hpp"
#include "collectives/p2p/transfer.hpp"

namespace fmi::detail::p2p {

void ring_allgather_blocks(const P2PRun& run, MutableBytes buffer, const BlockLayout& blocks, int shift) {
    const int p = run.size(), r = run.rank();
    const int next = (r + 1) % p, prev = (r - 1 + p) % p;
    const std::size_t unit = segment_unit(run.options.segment_bytes);
    for (int s = 0; s < p - 1; ++s) {
        int send_block = ((r + shift - s) % p + p) % p;
        int recv_block = (send_block - 1 + p) % p;
        exchange_region(run, next, blocks.blocks_of(ConstBytes(buffer), send_block), prev,
                        blocks.blocks_of(buffer, recv_block), unit);
    }
}

void allgather_ring(const P2PRun& run, ConstBytes in, MutableBytes out) {
    const int p = run.size(), r = run.rank();
    BlockLayout blocks(out.size(), p, 1);  // P blocks of exactly in.size() bytes
    copy_bytes(blocks.blocks_of(out, r).data(), in.data(), in.size());
    ring_allgather_blocks(run, out, blocks, 0);
}

}  // namespace fmi::detail::p2p
