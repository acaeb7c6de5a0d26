// Inclusive scan by publishing: every peer but the last publishes its data;
// peer i reads those of peers 0..i-1 and folds them with its own. One
// blocking read instead of a chain of N-1 hops.
//
// Steps: peer i < N-1 posts its data to <comm>/c/<seq>/pub/<i>. Peer i > 0
// blocks in XREAD on pub/0..pub/<i-1> and folds x_0 .. x_i as in fold.hpp
// (as they arrive for commutative and associative functions, else strictly
// left to right). A chunked pub/<j> is acknowledged, the last of its N-1-j
// readers deleting it; small ones are left for the next collective's entry.
//
// Cost for N peers and n bytes:
//   requests      peer i: 1 enter, 1 post if i < N-1 (+2K), <= i XREAD; when
//                 chunked + i EVALSHA ack, K i GET, XREADs for announcements
//   round trips   peer i: 1 per wake-up, at most i for inline payloads
//   server bytes  (N-1) n in, N (N-1) / 2 n out
#include "collectives/redis/algorithms.hpp"

namespace fmi::detail::redis {

void scan_publish_prefix(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx,
          FoldScratch& scratch) {
    mb.enter(ctx, "scan/publish");
    const int self = mb.rank();
    const int last = mb.size() - 1;
    if (self < last) {
        mb.post(mb.keys().pub(ctx.seq, self), ctx, in, fn.element_size);
        mb.flush(ctx.deadline);  // on the wire (zero copy) before out, which may be in, changes
    }
    FoldInputs inputs;
    for (int peer = 0; peer < last; ++peer) {
        std::string key = mb.keys().pub(ctx.seq, peer);
        inputs.take = mb.published(key, in.size());  // the same for every peer
        if (peer < self) inputs.messages.emplace_back(peer, key);
    }
    inputs.readers = [last](int src) { return last - src; };
    inputs.waiting_for = "the data of the lower peers";
    fold(mb, inputs, self, in, out, fn, ctx, scratch);
}

}  // namespace fmi::detail::redis
