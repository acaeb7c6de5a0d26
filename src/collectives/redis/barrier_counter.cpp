// Barrier by a counter and a blocking wake-up (never KEYS or SCAN).
//
// Steps: each peer enters the collective (scripts::enter), which counts the
// entry in <comm>/c/<seq>/op; the N-th entry deletes that counter and posts
// one entry to the stream <comm>/c/<seq>/wake. In the same write each peer
// blocks in XREAD on the wake stream (the last arrival finds its own entry at
// once). The wake stream is left for the next collective's last entry (or the
// last finalize) to delete: no acknowledgements.
//
// Cost for N peers:
//   requests      2 per peer (EVALSHA enter, XREAD), 2N in all
//   round trips   1 per peer (one write; the XREAD returns when the last
//                 peer arrives)
//   server bytes  40 B in, N x 40 B out
#include "channels/redis/receiver.hpp"
#include "collectives/redis/algorithms.hpp"

namespace fmi::detail::redis {

void barrier(Mailbox& mb, const OpContext& ctx) {
    std::string wake = mb.keys().wake(ctx.seq);
    mb.enter(ctx, "barrier/counter", wake);
    Receiver receiver(mb, ctx, "every peer to reach the barrier");
    receiver.expect(wake, 0, 0, Take::leave);
    receiver.run(Receiver::into([](int) { return MutableBytes{}; }));
    mb.leave({wake});
}

}  // namespace fmi::detail::redis
