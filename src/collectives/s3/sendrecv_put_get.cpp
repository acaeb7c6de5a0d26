// Point to point over S3: the message is one object.
//
// Steps: the sender PUTs send/<src>-<dst>/<seq> and returns (S3 keeps it, so
// a send never waits for its receiver). The receiver polls that key with GET
// and back-off; the GET that finds it is also the read, straight into the
// caller's buffer. The receiver, its only reader, deletes it in a later batch.
//
// Requests per message of B bytes (T = multipart threshold, k = ceil(B/T)):
//   sender:   PUT 1 (B <= T) or k + 2 (multipart: create, k parts, complete)
//   receiver: GET max(1, k) + polls that found nothing yet
//   cleanup:  DELETE 1 per 1000 messages or 64 MiB (DeleteObjects batch)
// Bytes: B up, B down.
#include "collectives/s3/algorithms.hpp"

namespace fmi::detail::s3 {

void send_put(S3Store& store, ConstBytes data, int dest, const OpContext& ctx) {
    store.put(store.keys().message(store.rank(), dest, ctx.seq), data, ctx);
}

void recv_get(S3Store& store, MutableBytes data, int src, const OpContext& ctx) {
    std::string key = store.keys().message(src, store.rank(), ctx.seq);
    store.read_when_present(key, src, data.size(), 0, data, ctx, /*collective=*/false);
    store.consumed(std::move(key), data.size());
}

}  // namespace fmi::detail::s3
