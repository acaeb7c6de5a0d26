// Allgather of small payloads by exchange (exchange.hpp): one blocking read
// returns everyone's data.
//
// Cost for N peers and n bytes each (N n <= the inline limit):
//   requests      3 per peer; round trips 1; wake-ups 1 per peer
//   server bytes  N n in, N^2 n out
#include "collectives/redis/algorithms.hpp"
#include "collectives/redis/exchange.hpp"

#include <algorithm>

namespace fmi::detail::redis {

void allgather_exchange(Mailbox& mb, ConstBytes in, MutableBytes out, const OpContext& ctx) {
    Contributions all = exchange(mb, ctx, in);
    for (int peer = 0; peer < mb.size(); ++peer)
        std::copy(all.of[peer].begin(), all.of[peer].end(), out.begin() + static_cast<std::ptrdiff_t>(peer * in.size()));
}

}  // namespace fmi::detail::redis
