// Inclusive scan of small payloads by exchange (exchange.hpp): peer i folds
// the contributions of peers 0..i strictly left to right.
//
// Cost for N peers and n bytes (N n <= the inline limit):
//   requests      3 per peer; round trips 1; wake-ups 1 per peer
//   server bytes  N n in, N^2 n out
#include "collectives/redis/algorithms.hpp"
#include "collectives/redis/exchange.hpp"

#include <algorithm>

namespace fmi::detail::redis {

void scan_exchange(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx) {
    Contributions all = exchange(mb, ctx, in);
    std::copy(all.of[0].begin(), all.of[0].end(), out.begin());
    for (int peer = 1; peer <= mb.rank(); ++peer)
        fn.apply(out.data(), all.of[peer].data(), out.data(), out.size() / fn.element_size);
}

}  // namespace fmi::detail::redis
