// Broadcast: one upload, n - 1 polling downloads.
//
// Steps: the root PUTs its buffer once as out.<root>; every other peer polls
// that key with GET (back-off) and reads it straight into its buffer.
// The object is deleted by the root once a later all-peer collective shows
// every peer is past this one (or by the final sweep).
//
// Requests (n peers, B bytes, T = multipart threshold, k = ceil(B/T)):
//   PUT  1 (k + 2 if B > T)                 root
//   GET  (n - 1) * max(1, k) + misses       the others
// Bytes: B up, (n - 1) B down. Latency: one PUT then one GET.
#include "collectives/s3/algorithms.hpp"

namespace fmi::detail::s3 {

void bcast_one_put(const S3Collective& c, MutableBytes data, int root) {
    if (c.size() == 1) return;
    if (c.rank() == root) {
        c.publish(data);
    } else {
        c.read_publication(root, data.size(), 0, data);
    }
}

}  // namespace fmi::detail::s3
