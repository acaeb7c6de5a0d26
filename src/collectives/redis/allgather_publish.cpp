// Allgather by publishing: every peer publishes its data once and reads
// everyone else's, with one XREAD watching all the streams it still needs.
//
// Steps: each peer posts its data to <comm>/c/<seq>/pub/<self>, then blocks
// in XREAD on the other peers' streams; each wake-up returns every entry that
// arrived. It reads each payload into out at src * n (GET of each chunk
// straight into out). A chunked message is acknowledged, the last of its N-1
// readers deleting it; small ones are left for the next collective's entry.
//
// Cost for N peers and n bytes each:
//   requests      per peer 1 enter + 1 post (+2K) + <= N-1 XREAD; chunked:
//                 + N-1 EVALSHA ack + K(N-1) GET + XREADs for announcements
//                 (small messages are left for the next collective's entry)
//   round trips   per peer 1 per wake-up, at most N-1 for inline payloads
//   server bytes  N n in, N (N-1) n out
#include "channels/redis/receiver.hpp"
#include "collectives/redis/algorithms.hpp"

#include <algorithm>

namespace fmi::detail::redis {

void allgather_publish(Mailbox& mb, ConstBytes in, MutableBytes out, const OpContext& ctx) {
    mb.enter(ctx, "allgather/publish");
    const std::size_t n = in.size();
    mb.post(mb.keys().pub(ctx.seq, mb.rank()), ctx, in);
    mb.flush(ctx.deadline);  // on the wire (zero copy) before out, which may hold in, changes
    std::copy(in.begin(), in.end(), out.begin() + static_cast<std::ptrdiff_t>(mb.rank() * n));
    Receiver receiver(mb, ctx, "the data of the other peers");
    for (int peer = 0; peer < mb.size(); ++peer) {
        std::string key = mb.keys().pub(ctx.seq, peer);
        Take take = mb.published(key, n);
        if (peer != mb.rank()) receiver.expect(key, peer, n, take, mb.size() - 1);
    }
    receiver.run(Receiver::into([&](int src) { return out.subspan(src * n, n); }));
}

}  // namespace fmi::detail::redis
