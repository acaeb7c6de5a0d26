// Allreduce by recursive doubling: the latency-optimal algorithm for small
// messages, for reorderable (commutative and associative) functions.
//
// Steps, with P' the largest power of two <= P and rem = P - P':
//  1. Fold: among the first 2 rem peers, each even peer sends its input to the
//     odd peer above it, which folds it in (the even peers sit out).
//  2. The P' remaining peers (new ranks 0..P'-1) exchange their partial
//     results with the partner whose new rank differs in bit k, for
//     k = 0..log2(P') - 1, one sendrecv each, and fold.
//  3. Unfold: each odd peer of step 1 sends the result to its even partner.
// The operand from the lower new rank is always the left one, so both
// partners compute bitwise the same value and every peer ends with the same
// bits; the grouping is fixed by P, so repeated runs agree too.
// Messages larger than segment_bytes run the whole scheme per segment.
//
// Bytes on the wire (n bytes, P peers): each of the P' peers sends
// log2(P') n, each folding pair 2n more; total (P' log2 P' + 2 rem) n.
// Latency: log2(P') message steps, + 2 when P is not a power of two.
#include "collectives/p2p/allreduce_recursive_doubling.hpp"

#include "collectives/p2p/segments.hpp"

namespace fmi::detail::p2p {

void allreduce_recursive_doubling(const P2PRun& run, ConstBytes in, MutableBytes out, const ReduceFn& fn) {
    const int p = run.size(), r = run.rank();
    int pof2 = 1;
    while (pof2 * 2 <= p) pof2 *= 2;
    const int rem = p - pof2;
    const bool folded_away = r < 2 * rem && r % 2 == 0;  // sits out step 2
    const int newrank = r < 2 * rem ? r / 2 : r - rem;
    auto actual = [rem](int nr) { return nr < rem ? 2 * nr + 1 : nr + rem; };

    Segments segs(in.size(), segment_unit(run.options.segment_bytes, fn.element_size));
    MutableBytes incoming = run.scratch.get(ScratchSlot::receive, segs.max_length());

    for (std::size_t i = 0; i < segs.count(); ++i) {
        const std::size_t off = segs.offset(i), len = segs.length(i);
        ConstBytes mine = in.subspan(off, len);
        MutableBytes result = out.subspan(off, len);
        MutableBytes other = incoming.first(len);
        const std::byte* current = mine.data();  // this peer's partial result so far

        if (folded_away) {
            run.send(r + 1, mine);
            run.recv(r + 1, result);
            continue;
        }
        if (r < 2 * rem) {  // odd: fold in the even peer below
            run.recv(r - 1, other);
            combine(fn, other.data(), current, result.data(), len);
            current = result.data();
        }
        for (int mask = 1; mask < pof2; mask <<= 1) {
            const int partner_new = newrank ^ mask;
            run.sendrecv(actual(partner_new), ConstBytes(current, len), actual(partner_new), other);
            if (newrank < partner_new) combine(fn, current, other.data(), result.data(), len);
            else combine(fn, other.data(), current, result.data(), len);
            current = result.data();
        }
        copy_bytes(result.data(), current, len);  // P == 1
        if (r < 2 * rem) run.send(r - 1, result);
    }
}

}  // namespace fmi::detail::p2p
