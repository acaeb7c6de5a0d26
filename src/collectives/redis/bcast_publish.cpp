// Broadcast by publishing: the root writes the data once, every other peer
// is woken by it, nobody polls.
//
// Steps: the root posts its data to the stream <comm>/c/<seq>/pub/<root>.
// Every other peer blocks in XREAD on that stream (XREAD does not consume, so
// one entry wakes all readers), reads the payload (inline, or GET of each
// announced chunk straight into its buffer). A chunked message is
// acknowledged, the last of the N-1 acknowledgements deleting the stream and
// its chunks; an inline one is left for the next collective's last entry.
//
// Cost for N peers and n bytes:
//   requests      each peer 1 (EVALSHA enter); root 1 (+2K: SET, XADD); each
//                 reader 1 (XREAD) (+K GET + 1 EVALSHA ack, + one XREAD per
//                 batch of announcements)
//   round trips   root 0 (write-behind); readers 1 for an inline payload
//   server bytes  n in, (N-1) n out
#include "channels/redis/receiver.hpp"
#include "collectives/redis/algorithms.hpp"

namespace fmi::detail::redis {

void bcast(Mailbox& mb, MutableBytes data, int root, const OpContext& ctx) {
    mb.enter(ctx, "bcast/publish");
    std::string key = mb.keys().pub(ctx.seq, root);
    Take take = mb.published(key, data.size());
    if (mb.rank() == root) {
        mb.post(key, ctx, data);
        return;
    }
    Receiver receiver(mb, ctx, "the data of root " + std::to_string(root));
    receiver.expect(key, root, data.size(), take, mb.size() - 1);
    receiver.run(Receiver::into([&](int) { return data; }));
}

}  // namespace fmi::detail::redis
