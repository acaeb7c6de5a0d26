// Inclusive scan: peer 0 collects every value, computes all prefixes in
// peer order and publishes them as ONE object; peer p reads its block with a
// ranged GET.
//
// Steps: peers 1..n-1 PUT in.<p> and poll out.0. Peer 0 LISTs c/<seq>/ per
// round (polls by GET when n = 2), GETs contributions as they appear into
// block p - 1 of its scratch
// and, as soon as blocks 1..p are in, computes in place
//   prefix_1 = x_0 (+) x_1,  prefix_p = prefix_{p-1} (+) x_p
// (strictly left to right, so any function is fine). It PUTs the n - 1
// prefixes as out.0; peer p reads bytes (p-1)B..pB-1 of it. Constant depth
// (the chain alternative waits n - 1 request latencies) for about twice the
// GETs of the chain.
//
// Requests (n peers, B bytes, k = ceil(B/T), m = ceil((n-1)B/T); polls that
// found nothing on top):
//   PUT  (n - 1) * (1 | k + 2) + (1 | m + 2)
//   LIST 1 + rounds that did not yet see everyone (n > 2)   peer 0
//   GET  (n - 1) * max(1, k) [0 if B = 0 and n > 2] + (n - 1) * max(1, k)
// Bytes: (n - 1) B + (n - 1) B up, 2 (n - 1) B down.
#include "collectives/s3/algorithms.hpp"

namespace fmi::detail::s3 {

void scan_collect_publish(const S3Collective& c, ConstBytes in, MutableBytes out, const ReduceFn& fn) {
    const std::size_t bytes = in.size();
    const int n = c.size();
    if (n == 1) {
        copy_bytes(out, in);
        return;
    }
    if (c.rank() != 0) {
        c.contribute(in);  // before `out` is written: in == out is allowed
        c.read_publication(0, static_cast<std::uint64_t>(n - 1) * bytes,
                           static_cast<std::uint64_t>(c.rank() - 1) * bytes, out);
        c.store.everyone_entered(c.ctx.seq);
        return;
    }
    const std::size_t count = bytes / fn.element_size;
    MutableBytes prefixes = c.scratch.get(static_cast<std::size_t>(n - 1) * bytes);
    auto block = [&](int p) { return prefixes.subspan(static_cast<std::size_t>(p - 1) * bytes, bytes); };
    std::vector<char> arrived(static_cast<std::size_t>(n), 0);
    int next = 1;  // the lowest peer whose prefix is not computed yet
    c.reporting_failures([&] {
        c.store.collect(c.others(0), bytes, c.ctx, block, [&](std::span<const Arrival> arrivals) {
            c.store.read_arrivals(arrivals, block, c.ctx);
            for (const Arrival& a : arrivals) {
                arrived[a.peer] = 1;
                c.store.consumed(a.key, a.size);
            }
            for (; next < n && arrived[next]; ++next) {
                ConstBytes left = next == 1 ? in : ConstBytes(block(next - 1));
                fn.apply(left.data(), block(next).data(), block(next).data(), count);
            }
        });
    });
    c.publish(prefixes);
    copy_bytes(out, in);
    c.store.everyone_entered(c.ctx.seq);
}

}  // namespace fmi::detail::s3
