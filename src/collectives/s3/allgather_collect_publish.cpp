// Allgather: a gather to peer 0, which publishes the whole result once.
//
// Steps: peers 1..n-1 PUT in.<p> and poll out.0. Peer 0 gathers as in
// gather_collect.cpp (LIST rounds, GETs as contributions appear; one GET
// poll at n = 2), then PUTs the n * B result as out.0, which every other
// peer GETs. A failure at peer 0 is left at out.0 so the others fail at
// once too.
// Against the flat alternative (everyone PUTs, everyone LISTs and GETs all):
// n(n-1) GETs and n LIST pollers become 2(n-1) GETs and one, for one more
// request latency.
//
// Requests (n peers, B bytes each, k = ceil(B/T), m = ceil(nB/T); polls
// that found nothing on top; the gather part as in gather_collect.cpp):
//   PUT  (n - 1) * (1 | k + 2) + (1 | m + 2)
//   LIST 1 + rounds that did not yet see everyone (n > 2)   peer 0
//   GET  (n - 1) * max(1, k) [0 if B = 0 and n > 2] + (n - 1) * max(1, m)
// Bytes: (n - 1) B + nB up, (n - 1) B + (n - 1) nB down.
#include "collectives/s3/algorithms.hpp"

namespace fmi::detail::s3 {

void allgather_collect_publish(const S3Collective& c, ConstBytes in, MutableBytes out) {
    if (c.size() == 1) {
        copy_bytes(out, in);
        return;
    }
    if (c.rank() == 0) {
        c.reporting_failures([&] { gather_at_root(c, in, out, 0); });
        c.publish(out);
    } else {
        c.contribute(in);
        c.read_publication(0, out.size(), 0, out);
    }
    c.store.everyone_entered(c.ctx.seq);
}

}  // namespace fmi::detail::s3
