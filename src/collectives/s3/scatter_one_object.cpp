// Scatter: the root uploads its whole buffer ONCE; each peer reads its own
// block with a ranged GET.
//
// Steps: the root PUTs `in` (n * B bytes) as out.<root> and copies its own
// block. Peer p polls out.<root> with GET Range: bytes=pB..pB+B-1; the
// reply's Content-Range states the object's total, checked against n * B
// (SizeMismatchError naming the root). One PUT instead of n - 1: on S3 a
// PUT costs ~12x a GET.
//
// Requests (n peers, B bytes per peer, T = threshold, m = ceil(nB/T), k = ceil(B/T)):
//   PUT  1 (m + 2 if nB > T)                 root
//   GET  (n - 1) * max(1, k) + misses        the others
// Bytes: nB up, (n - 1) B down.
#include "collectives/s3/algorithms.hpp"

namespace fmi::detail::s3 {

void scatter_one_object(const S3Collective& c, ConstBytes in, MutableBytes out, int root) {
    const std::size_t bytes = out.size();
    if (c.size() == 1) {
        copy_bytes(out, in.first(bytes));
        return;
    }
    if (c.rank() == root) {
        c.publish(in);
        copy_bytes(out, in.subspan(static_cast<std::size_t>(root) * bytes, bytes));
    } else {
        c.read_publication(root, static_cast<std::uint64_t>(c.size()) * bytes,
                           static_cast<std::uint64_t>(c.rank()) * bytes, out);
    }
}

}  // namespace fmi::detail::s3
