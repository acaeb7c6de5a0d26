// The operations of the Redis channel, one file per algorithm, each written
// against the Mailbox primitives (src/channels/redis/mailbox.hpp), every
// receive going through the Receiver (receiver.hpp). Every file
// opens with its steps and its cost: requests, round trips, and bytes through
// the server, for N peers, a payload of n bytes and, when n exceeds the
// inline limit (min(64 KiB, chunk_bytes)), K = ceil(n / chunk_bytes) chunks.
// Large payloads move chunk by chunk, read while they are written. Every
// collective first enters (Mailbox::enter: one request per peer, in the same
// write as the algorithm's first ones), which catches peers calling different
// operations and removes what the previous collective left.
// docs/algorithms/redis.md collects the costs.
//
// Preconditions (checked by the communicator): roots and peers are valid,
// buffer sizes agree on this peer, N >= 2 for the collectives (the backend
// answers N == 1 locally).
#pragma once

#include "channels/redis/mailbox.hpp"
#include "collectives/redis/fold.hpp"

#include <fmi/ops.hpp>

#include <vector>

namespace fmi::detail::redis {

void send(Mailbox& mb, ConstBytes data, int dest, const OpContext& ctx);
void recv(Mailbox& mb, MutableBytes data, int src, const OpContext& ctx);
void bcast(Mailbox& mb, MutableBytes data, int root, const OpContext& ctx);
void barrier(Mailbox& mb, const OpContext& ctx);
void gather(Mailbox& mb, ConstBytes in, MutableBytes out, int root, const OpContext& ctx);
void scatter(Mailbox& mb, ConstBytes in, MutableBytes out, int root, const OpContext& ctx);
/// Entry points choosing between the exchange (small) and the other
/// algorithm, or running the one pinned in ctx.algorithm (select.cpp).
void allgather(Mailbox& mb, ConstBytes in, MutableBytes out, const OpContext& ctx);
/// The reductions take scratch buffers reused across calls.
void reduce(Mailbox& mb, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn, const OpContext& ctx,
            FoldScratch& scratch);
void allreduce(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx,
               FoldScratch& scratch);
void scan(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx,
          FoldScratch& scratch);

// The algorithms behind them.
void allgather_exchange(Mailbox& mb, ConstBytes in, MutableBytes out, const OpContext& ctx);
void allgather_publish(Mailbox& mb, ConstBytes in, MutableBytes out, const OpContext& ctx);
void allreduce_exchange(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx);
void allreduce_reduce_publish(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx,
                              FoldScratch& scratch);
void scan_exchange(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx);
void scan_publish_prefix(Mailbox& mb, ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx,
                         FoldScratch& scratch);

}  // namespace fmi::detail::redis
