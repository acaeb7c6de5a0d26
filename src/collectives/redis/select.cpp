// The entry points of the collectives that have two algorithms. Small
// payloads go by exchange (every peer posts to one stream and wakes once,
// when the last arrives: the latency of a barrier, but N^2 n bytes out of the
// server); larger ones by publishing (allgather, scan) or by a combining peer
// (allreduce: 2 (N-1) n bytes out, two hops, the combining peer woken once
// per batch of arrivals). The switch is at N n = the inline limit
// (min(32 KiB, chunk_bytes)), where the exchange's single reply stops being
// cheap to parse; every peer computes the same choice from the same config.
//
// An algorithm pinned for the operation (ctx.algorithm, the model's names:
// "exchange", "publish", "reduce_publish", "publish_prefix") wins. Both
// algorithms of each collective fold strictly left to right when the
// function needs it, so a pin applies to every function. Beyond the inline
// limit the exchange still works: each peer's message goes inline as one
// argument (the model keeps it under Redis's proto-max-bulk-len).
#include "collectives/redis/algorithms.hpp"
#include "collectives/redis/exchange.hpp"

#include <string>
#include <string_view>

namespace fmi::detail::redis {

namespace {

/// True when the exchange runs: it is pinned, or nothing is pinned and
/// every message fits inline. `other` is the collective's other algorithm.
bool runs_exchange(const Mailbox& mb, std::size_t bytes, const OpContext& ctx, std::string_view other) {
    const std::string_view pinned = ctx.algorithm;
    const bool exchange = pinned.empty() ? exchange_fits(mb, bytes) : pinned == "exchange";
    if (!pinned.empty() && !exchange && pinned != other)
        throw UsageError(describe(ctx, mb.rank()) + ": no algorithm '" + std::string(pinned) + "' (exchange, " +
                         std::string(other) + ")");
    if (mb.log().enabled(LogLevel::debug))
        mb.log().debug(std::string(to_string(ctx.op)) + " #" + std::to_string(ctx.seq) + ": " +
                       std::to_string(bytes) + " bytes over " + std::to_string(mb.size()) + " peers by " +
                       std::string(exchange ? "exchange" : other));
    return exchange;
}

}  // namespace

void allgather(Mailbox& mb, ConstBytes in, MutableBytes out, const OpContext& ctx) {
    if (runs_exchange(mb, in.size(), ctx, "publish"))
        allgather_exchange(mb, in, out, ctx);
    else
        allgather_publish(mb, in, out, ctx);
}

void allreduce(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx,
               FoldScratch& scratch) {
    if (runs_exchange(mb, in.size(), ctx, "reduce_publish"))
        allreduce_exchange(mb, in, out, fn, ctx);
    else
        allreduce_reduce_publish(mb, in, out, fn, ctx, scratch);
}

void scan(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx,
          FoldScratch& scratch) {
    if (runs_exchange(mb, in.size(), ctx, "publish_prefix"))
        scan_exchange(mb, in, out, fn, ctx);
    else
        scan_publish_prefix(mb, in, out, fn, ctx, scratch);
}

}  // namespace fmi::detail::redis
