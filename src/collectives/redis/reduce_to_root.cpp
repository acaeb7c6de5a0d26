// Reduce at the root as contributions arrive (or strictly left to right when
// the function is not both commutative and associative; see fold.hpp).
//
// Steps: each non-root posts its data to <comm>/c/<seq>/in/<root> (chunks
// cut at whole elements). The root blocks in XREAD on that stream; each
// wake-up returns everything that arrived. It applies each contribution chunk
// by chunk as it is read (GETDEL through one reused chunk buffer) into out:
// in arrival order for commutative and associative functions, else in peer
// order, leaving later peers' chunks in Redis until their turn. Then it
// deletes the stream. The caller's input is never modified.
//
// Cost for N peers and n bytes:
//   requests      each non-root 2 (enter, post) (+2K); root 1 enter
//                 + <= N-1 XREAD + 1 DEL
//                 (+K(N-1) GETDEL, + XREADs for chunk announcements)
//   round trips   non-roots 0 (write-behind); root 1 per wake-up, at most N-1
//                 for inline payloads
//   server bytes  (N-1) n in, (N-1) n out
#include "collectives/redis/algorithms.hpp"

namespace fmi::detail::redis {

void reduce(Mailbox& mb, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn, const OpContext& ctx,
            FoldScratch& scratch) {
    mb.enter(ctx, "reduce/to-root");
    std::string key = mb.keys().in(ctx.seq, root);
    if (mb.rank() != root) {
        mb.post(key, ctx, in, fn.element_size);
        return;
    }
    FoldInputs inputs;
    for (int peer = 0; peer < mb.size(); ++peer)
        if (peer != root) inputs.messages.emplace_back(peer, key);
    inputs.take = Take::consume;
    inputs.waiting_for = "contributions to reduce";
    fold(mb, inputs, root, in, out, fn, ctx, scratch);
}

}  // namespace fmi::detail::redis
