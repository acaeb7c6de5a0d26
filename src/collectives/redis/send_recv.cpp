// Point to point: the n-th send from a to b is the message stream
// <comm>/p/<a>/<b>/<n>, read once by b.
//
// Steps: the sender posts the message (the header entry by one EVAL that also
// sets the stream's expiry; for a large payload then each chunk SET with its
// announcement XADD) and returns once it is written to the socket; its replies
// are checked at its next read (write-behind). The receiver blocks in XREAD on
// the stream until the header is there, reads the payload (inline, or GETDEL
// of each announced chunk straight into its buffer, while the sender is still
// writing the next) and deletes the stream.
//
// Cost for n bytes:
//   requests      sender 1 (+2K: SET, XADD); receiver 2 (XREAD, DEL)
//                 (+K GETDEL, + one XREAD per batch of announcements)
//   round trips   sender 0 (write-behind); receiver 1 for an inline payload;
//                 latency from send to recv ~ 1 round trip
//   server bytes  n in, n out
#include "channels/redis/receiver.hpp"
#include "collectives/redis/algorithms.hpp"

namespace fmi::detail::redis {

void send(Mailbox& mb, ConstBytes data, int dest, const OpContext& ctx) {
    mb.post(mb.keys().p2p(mb.rank(), dest, ctx.seq), ctx, data);
}

void recv(Mailbox& mb, MutableBytes data, int src, const OpContext& ctx) {
    Receiver receiver(mb, ctx, "the message from peer " + std::to_string(src));
    receiver.expect(mb.keys().p2p(src, mb.rank(), ctx.seq), src, data.size(), Take::consume);
    receiver.run(Receiver::into([&](int) { return data; }));
}

}  // namespace fmi::detail::redis
