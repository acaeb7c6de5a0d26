// The entry points of the collectives that have two algorithms. Small
// payloads go by exchange (every peer posts to one stream and wakes once,
// when the last arrives: the latency of a barrier, but N^2 n bytes out of the
// server); larger ones by publishing (allgather, scan) or by a combining peer
// (allreduce: 2 (N-1) n bytes out, two hops, the combining peer woken once
// per batch of arrivals). The switch is at N n = the inline limit
// (min(64 KiB, chunk_bytes)), where the exchange's single reply stops being
// cheap to parse; every peer computes the same choice from the same config.
#include "collectives/redis/algorithms.hpp"
#include "collectives/redis/exchange.hpp"

namespace fmi::detail::redis {

void allgather(Mailbox& mb, ConstBytes in, MutableBytes out, const OpContext& ctx) {
    if (exchange_fits(mb, in.size()))
        allgather_exchange(mb, in, out, ctx);
    else
        allgather_publish(mb, in, out, ctx);
}

void allreduce(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx,
               FoldScratch& scratch) {
    if (exchange_fits(mb, in.size()))
        allreduce_exchange(mb, in, out, fn, ctx);
    else
        allreduce_reduce_publish(mb, in, out, fn, ctx, scratch);
}

void scan(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx,
          FoldScratch& scratch) {
    if (exchange_fits(mb, in.size()))
        scan_exchange(mb, in, out, fn, ctx);
    else
        scan_publish_prefix(mb, in, out, fn, ctx, scratch);
}

}  // namespace fmi::detail::redis
