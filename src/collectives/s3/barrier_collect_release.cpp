// Barrier: everyone checks in with an empty object, peer 0 LISTs until all
// have, then releases them with one empty object.
//
// Steps: peers 1..n-1 PUT an empty in.<p> and poll out.0 with GET. Peer 0
// LISTs the collective's prefix c/<seq>/ once per round (back-off) until it
// holds all n - 1 check-ins (and no other operation's key: MismatchError),
// then PUTs the empty out.0. Nobody reads the check-ins' (empty) bodies.
// With n = 2 peer 0 awaits one object and polls it by GET instead (a GET
// costs a twelfth of a LIST). Waiting costs the many peers cheap GETs and
// only peer 0 LISTs, instead of every peer listing (n LIST per round) as the
// original did, and the listing covers only this collective's prefix,
// never the bucket.
//
// Requests (n peers; polls that found nothing come on top):
//   PUT  n          (n - 1 check-ins + 1 release)
//   LIST 1 (n > 2) + rounds that did not yet see everyone  peer 0
//   GET  n - 1, + 1 at peer 0 when n = 2
// Latency: PUT, LIST, PUT, GET after the last peer arrives.
#include "collectives/s3/algorithms.hpp"

namespace fmi::detail::s3 {

void barrier_collect_release(const S3Collective& c) {
    if (c.size() == 1) return;
    if (c.rank() == 0) {
        c.reporting_failures([&] {
            auto no_data = [](int) { return MutableBytes(); };
            c.store.collect(c.others(0), 0, c.ctx, no_data, [&](std::span<const Arrival> arrivals) {
                for (const Arrival& a : arrivals) c.store.consumed(a.key, 0);
            });
        });
        c.publish({});
    } else {
        c.contribute({});
        c.read_publication(0, 0, 0, {});
    }
    c.store.everyone_entered(c.ctx.seq);
}

}  // namespace fmi::detail::s3
