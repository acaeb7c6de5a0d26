// Exchange of small messages among all peers: the building block of the
// small-payload allgather, allreduce and scan (see select.cpp).
//
// Steps: each peer enters the collective (scripts::enter) once: the script
// appends the peer's message (header and payload) to the stream
// <comm>/c/<seq>/all and counts the entry in <comm>/c/<seq>/op; the N-th entry
// posts one wake-up entry to <comm>/c/<seq>/wake. In the same write every peer blocks in XREAD on the
// wake stream and then reads every message with XRANGE on the all stream.
// Both streams are left for the next collective's last entry (or the last
// finalize) to delete: no acknowledgements.
//
// Cost for N peers and n bytes each:
//   requests      3 per peer (EVALSHA enter, XREAD, XRANGE)
//   round trips   1 per peer (one write; the XREAD returns when the last peer
//                 arrives and the XRANGE right after it)
//   wake-ups      1 per peer, however the arrivals are spread
//   server bytes  N n in, N^2 n out
#pragma once

#include "channels/redis/mailbox.hpp"

#include <memory>
#include <vector>

namespace fmi::detail::redis {

/// Every peer's payload, by peer id (valid while `owner` lives).
struct Contributions {
    std::vector<ConstBytes> of;
    std::shared_ptr<const Reply> owner;
};

/// True when exchange() suits n-byte payloads: everything the peers send
/// fits in one inline message (N * n <= the inline limit).
bool exchange_fits(const Mailbox& mb, std::size_t bytes);

/// Sends `payload` to every peer and returns everyone's. A message of another
/// operation, or missing peers (who called another operation), is a
/// MismatchError; another size a SizeMismatchError.
Contributions exchange(Mailbox& mb, const OpContext& ctx, ConstBytes payload);

}  // namespace fmi::detail::redis
