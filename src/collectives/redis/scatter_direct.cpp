// Scatter by direct messages: the root posts each peer its part.
//
// Steps: the root posts part i of its buffer to <comm>/c/<seq>/in/<i> for
// every i != root, all in one write. Each other peer blocks in XREAD on its
// stream, reads its part (GETDEL of each chunk straight into out) and deletes
// the stream.
//
// Cost for N peers and n bytes per part:
//   requests      root N (enter, N-1 posts) (+2K(N-1): SET, XADD); each other
//                 peer 3 (enter, XREAD, DEL) (+K GETDEL, + XREADs for chunk
//                 announcements)
//   round trips   root 0 (write-behind); others 1 for an inline part
//   server bytes  (N-1) n in, (N-1) n out
#include "channels/redis/receiver.hpp"
#include "collectives/redis/algorithms.hpp"

#include <algorithm>

namespace fmi::detail::redis {

void scatter(Mailbox& mb, ConstBytes in, MutableBytes out, int root, const OpContext& ctx) {
    mb.enter(ctx, "scatter/direct");
    const std::size_t n = out.size();
    if (mb.rank() == root) {
        for (int peer = 0; peer < mb.size(); ++peer)
            if (peer != root) mb.post(mb.keys().in(ctx.seq, peer), ctx, in.subspan(peer * n, n));
        ConstBytes mine = in.subspan(root * n, n);
        if (mine.data() != out.data()) std::copy(mine.begin(), mine.end(), out.begin());
        return;
    }
    Receiver receiver(mb, ctx, "this peer's part from root " + std::to_string(root));
    receiver.expect(mb.keys().in(ctx.seq, mb.rank()), root, n, Take::consume);
    receiver.run(Receiver::into([&](int) { return out; }));
}

}  // namespace fmi::detail::redis
