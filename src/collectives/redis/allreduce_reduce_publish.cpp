// Allreduce as a reduce at one peer followed by publishing its result: every
// peer gets the same bits, and each waits in one blocking read.
//
// Steps: the combining peer is a = seq mod N (rotating, so no peer does all
// the work). Each other peer posts its data to <comm>/c/<seq>/in/<a> and, in
// the same write, blocks in XREAD on <comm>/c/<seq>/pub/<a>. Peer a folds the
// contributions as in reduce_to_root.cpp (as they arrive, or strictly left to
// right), deletes its input stream and posts the result to pub/<a>; the
// others read it (GET of each chunk straight into out). A chunked result is
// acknowledged, the last reader deleting it; a small one is left for the
// next collective's entry.
//
// Cost for N peers and n bytes:
//   requests      each other peer 3 (enter, post, XREAD) (+2K to post, +K GET
//                 and an ack when chunked); peer a 1 enter + <= N-1 XREAD +
//                 DEL + post (+K(N-1) GETDEL, +2K to post), plus XREADs for
//                 chunk announcements
//   round trips   others 1 for inline payloads (the XREAD returns with the
//                 result); latency ~ 2 hops: contribution -> a -> result
//   server bytes  N n in, 2 (N-1) n out
#include "channels/redis/receiver.hpp"
#include "collectives/redis/algorithms.hpp"

namespace fmi::detail::redis {

void allreduce_reduce_publish(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx,
               FoldScratch& scratch) {
    mb.enter(ctx, "allreduce/reduce-publish");
    const int a = static_cast<int>(ctx.seq % static_cast<std::uint64_t>(mb.size()));
    std::string inputs_key = mb.keys().in(ctx.seq, a);
    std::string result_key = mb.keys().pub(ctx.seq, a);
    Take take = mb.published(result_key, out.size());
    if (mb.rank() != a) {
        // The post goes out with the first wait, before anything writes out
        // (which may be in).
        mb.post(inputs_key, ctx, in, fn.element_size);
        Receiver receiver(mb, ctx, "the result from peer " + std::to_string(a));
        receiver.expect(result_key, a, out.size(), take, mb.size() - 1);
        receiver.run(Receiver::into([&](int) { return out; }));
        return;
    }
    FoldInputs inputs;
    for (int peer = 0; peer < mb.size(); ++peer)
        if (peer != a) inputs.messages.emplace_back(peer, inputs_key);
    inputs.take = Take::consume;
    inputs.waiting_for = "contributions to allreduce";
    fold(mb, inputs, a, in, out, fn, ctx, scratch);
    mb.post(result_key, ctx, out);
}

}  // namespace fmi::detail::redis
