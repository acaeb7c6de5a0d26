// Gather: every peer uploads, the root lists and reads as they arrive.
//
// Steps: each non-root PUTs in.<p> (B bytes). The root copies its own block,
// then LISTs c/<seq>/ once per round (back-off) and, for every contribution
// that appeared, checks its size in the listing (SizeMismatchError naming
// the peer) and GETs it straight into its slot of `out`, up to
// parallel_transfers objects at a time. With n = 2 the one contribution is
// polled by GET instead, which reads it too. The root deletes them in a
// later batch.
//
// Requests (n peers, B bytes, k = ceil(B/T); polls that found nothing on top):
//   PUT  (n - 1) * (1, or k + 2 if B > T)                  non-roots
//   LIST 1 + rounds that did not yet see everyone (n > 2)   root
//   GET  (n - 1) * max(1, k), 0 when B = 0 and n > 2        root
// Bytes: (n - 1) B up, (n - 1) B down.
#include "collectives/s3/algorithms.hpp"

namespace fmi::detail::s3 {

void gather_at_root(const S3Collective& c, ConstBytes in, MutableBytes out, int root) {
    const std::size_t bytes = in.size();
    auto slot = [&](int p) { return out.subspan(static_cast<std::size_t>(p) * bytes, bytes); };
    copy_bytes(slot(root), in);
    c.store.collect(c.others(root), bytes, c.ctx, slot, [&](std::span<const Arrival> arrivals) {
        c.store.read_arrivals(arrivals, slot, c.ctx);
        for (const Arrival& a : arrivals) c.store.consumed(a.key, a.size);
    });
}

void gather_collect(const S3Collective& c, ConstBytes in, MutableBytes out, int root) {
    if (c.size() == 1) {
        copy_bytes(out, in);
        return;
    }
    if (c.rank() != root) {
        c.contribute(in);
        return;
    }
    gather_at_root(c, in, out, root);
    c.store.everyone_entered(c.ctx.seq);
}

}  // namespace fmi::detail::s3
