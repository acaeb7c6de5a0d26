// Rabenseifner's allreduce: reduce-scatter by recursive halving, then
// allgather by recursive doubling. Bandwidth-optimal for large messages with
// only 2 log2(P') message steps; for reorderable functions.
//
// Steps, with P' the largest power of two <= P and rem = P - P', the buffer
// split into P' blocks of whole elements (block_layout.hpp):
//  1. Fold: among the first 2 rem peers each even peer sends its whole input
//     to the odd peer above, which folds it in (the even peers sit out).
//  2. Reduce-scatter: the P' peers (new ranks) start with the window of all
//     P' blocks. For mask = P'/2, P'/4, ..., 1: partners differing in that bit
//     split the window; the one with the bit set keeps the upper half. Each
//     sends the half it gives up and receives its partner's copy of the half
//     it keeps (one sendrecv per segment), folding each received segment into
//     the output at once (one reused scratch segment). New rank k ends with
//     block k fully reduced.
//  3. Allgather: for mask = 1, 2, ..., P'/2 partners swap the windows they
//     hold, straight into the output; the windows double each step.
//  4. Unfold: each odd peer of step 1 sends the result to its even partner.
// Every block is reduced by exactly one peer and then copied, so all peers
// end with the same bits; the order is fixed by P, so repeated runs agree.
// The first halving reads the caller's input; the output needs no initial copy.
//
// Bytes on the wire (n bytes, P peers): each of the P' peers sends
// 2 n (P' - 1) / P' (half, quarter, ... of n twice); each folding pair 2n
// more; total 2 (P' - 1) n + 2 rem n. Latency: 2 log2(P') message steps
// (+ 2 when P is not a power of two), each of at least one segment.
#include "collectives/p2p/allreduce_rabenseifner.hpp"

#include "collectives/p2p/block_layout.hpp"
#include "collectives/p2p/segments.hpp"
#include "collectives/p2p/transfer.hpp"

namespace fmi::detail::p2p {

void allreduce_rabenseifner(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn) {
    const int p = run.size(), r = run.rank();
    int pof2 = 1;
    while (pof2 * 2 <= p) pof2 *= 2;
    const int rem = p - pof2;
    const std::size_t unit = segment_unit(run.options.segment_bytes, fn.element_size);
    auto actual = [rem](int nr) { return nr < rem ? 2 * nr + 1 : nr + rem; };
    MutableBytes incoming = run.scratch.get(ScratchSlot::receive, Segments(in.size(), unit).max_length());
    auto into_scratch = [&](std::size_t, std::size_t length) { return incoming.first(length); };

    // 1. Fold the first 2 rem peers pairwise.
    if (r < 2 * rem && r % 2 == 0) {
        send_region(run, r + 1, in, unit);
        recv_region(run, r + 1, out, unit);  // 4. the result comes back
        return;
    }
    const std::byte* current = in.data();  // where this peer's partial results live
    if (r < 2 * rem) {
        recv_region(run, r - 1, in.size(), unit, into_scratch,
                    [&](std::size_t off, ConstBytes lower) {
                        combine(fn, lower.data(), in.data() + off, out.data() + off, lower.size());
                    });
        current = out.data();
    }
    const int newrank = r < 2 * rem ? r / 2 : r - rem;
    BlockLayout blocks(in.size() / fn.element_size, pof2, fn.element_size);

    // 2. Reduce-scatter by recursive halving of the window [lo, lo + 2 mask).
    int lo = 0;
    for (int mask = pof2 / 2; mask >= 1; mask >>= 1) {
        const int partner_new = newrank ^ mask;
        const int keep = (newrank & mask) ? lo + mask : lo;
        const int give = (newrank & mask) ? lo : lo + mask;
        const std::size_t keep_off = blocks.offset(keep);
        const bool lower = newrank < partner_new;
        const std::byte* mine = current;
        exchange_region(run, actual(partner_new), ConstBytes(mine + blocks.offset(give), blocks.bytes(give, mask)),
                        actual(partner_new), blocks.bytes(keep, mask), unit, into_scratch,
                        [&](std::size_t off, ConstBytes theirs) {
                            const std::byte* own = mine + keep_off + off;
                            std::byte* dst = out.data() + keep_off + off;
                            if (lower) combine(fn, own, theirs.data(), dst, theirs.size());
                            else combine(fn, theirs.data(), own, dst, theirs.size());
                        });
        current = out.data();
        lo = keep;
    }
    copy_bytes(out.data(), current, in.size());  // P == 1: nothing was exchanged

    // 3. Allgather by recursive doubling: the window of `mask` blocks at
    //    newrank rounded down to a multiple of mask.
    for (int mask = 1; mask < pof2; mask <<= 1) {
        const int partner_new = newrank ^ mask;
        const int mine = newrank & ~(mask - 1), theirs = partner_new & ~(mask - 1);
        exchange_region(run, actual(partner_new), blocks.blocks_of(ConstBytes(out), mine, mask), actual(partner_new),
                        blocks.blocks_of(out, theirs, mask), unit);
    }

    // 4. Unfold: hand the result to the even partner of step 1.
    if (r < 2 * rem) send_region(run, r - 1, out, unit);
}

}  // namespace fmi::detail::p2p
