// Allreduce: a reduce to peer 0, which publishes the result once.
//
// Steps: peers 1..n-1 PUT in.<p> and poll out.0 with GET. Peer 0 reduces as
// in reduce_collect_fold.cpp (LIST rounds, GET and fold as contributions
// arrive, a GET poll at n = 2; strictly in peer order for non-commutative
// or non-associative functions), then PUTs the result as out.0. A failure at peer 0 (a size or
// operation mismatch, a timeout) is left at out.0 so the others fail at once.
// The original FMI's design too; the flat alternative (everyone reads
// everyone) costs n(n-1) GETs and n LIST pollers.
//
// Requests (n peers, B bytes, k = ceil(B/T); polls that found nothing on top):
//   PUT  n * (1, or k + 2 if B > T)
//   LIST 1 + rounds that did not yet see everyone (n > 2)   peer 0
//   GET  (n - 1) * max(1, k) [0 if B = 0 and n > 2] + (n - 1) * max(1, k)
// Bytes: n B up, 2 (n - 1) B down. Latency: PUT, LIST, GET, PUT, GET
// (PUT, GET, PUT, GET at n = 2, where peer 0 polls the one contribution).
#include "collectives/s3/algorithms.hpp"

namespace fmi::detail::s3 {

void allreduce_collect_publish(const S3Collective& c, ConstBytes in, MutableBytes out, const ReduceFn& fn) {
    if (c.size() == 1) {
        copy_bytes(out, in);
        return;
    }
    if (c.rank() == 0) {
        c.reporting_failures([&] { reduce_at_root(c, in, out, 0, fn); });
        c.publish(out);
    } else {
        c.contribute(in);  // before `out` is written: in == out is allowed
        c.read_publication(0, out.size(), 0, out);
    }
    c.store.everyone_entered(c.ctx.seq);
}

}  // namespace fmi::detail::s3
