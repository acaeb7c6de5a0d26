// Gather as contributions arrive: every peer posts to the root's stream, the
// root takes each one as it comes and reads it straight into its place.
//
// Steps: each non-root posts its data to <comm>/c/<seq>/in/<root>. The root
// blocks in XREAD on that stream, which returns everything that arrived since
// its last read (headers and chunk announcements, in arrival order), reads
// each payload into out at src * n (GETDEL of each chunk, straight into out)
// until all N-1 are in, then deletes the stream.
//
// Cost for N peers and n bytes each:
//   requests      each non-root 2 (enter, post) (+2K: SET, XADD); root 1 enter
//                 + <= N-1 XREAD + 1 DEL
//                 (+K(N-1) GETDEL, + XREADs for chunk announcements)
//   round trips   non-roots 0 (write-behind); root 1 per wake-up, at most N-1
//                 for inline payloads
//   server bytes  (N-1) n in, (N-1) n out
#include "channels/redis/receiver.hpp"
#include "collectives/redis/algorithms.hpp"

#include <algorithm>

namespace fmi::detail::redis {

void gather(Mailbox& mb, ConstBytes in, MutableBytes out, int root, const OpContext& ctx) {
    mb.enter(ctx, "gather/arrivals");
    std::string key = mb.keys().in(ctx.seq, root);
    if (mb.rank() != root) {
        mb.post(key, ctx, in);
        return;
    }
    const std::size_t n = in.size();
    std::copy(in.begin(), in.end(), out.begin() + static_cast<std::ptrdiff_t>(root * n));
    Receiver receiver(mb, ctx, "contributions to gather");
    for (int peer = 0; peer < mb.size(); ++peer)
        if (peer != root) receiver.expect(key, peer, n, Take::consume);
    receiver.run(Receiver::into([&](int src) { return out.subspan(src * n, n); }));
}

}  // namespace fmi::detail::redis
