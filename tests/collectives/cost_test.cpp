// The bytes on the wire that docs/algorithms.md and the algorithms' opening
// comments state, checked by counting the in-process channel's payload bytes
// and messages. n = 2520 elements divides evenly into any P <= 9 blocks.
#include "typed_calls.hpp"

#include "collectives/p2p/binomial_tree.hpp"
#include "collectives/p2p/selection.hpp"

namespace fmi::test {
namespace {

using detail::p2p::AllreduceAlgorithm;

constexpr std::size_t kCount = 2520;
constexpr std::uint64_t kBytes = kCount * sizeof(std::int64_t);

int floor_pow2(int p) {
    int q = 1;
    while (q * 2 <= p) q *= 2;
    return q;
}
int ceil_log2(int p) {
    int k = 0;
    while ((1 << k) < p) ++k;
    return k;
}

template <class Body>
std::pair<std::uint64_t, std::uint64_t> bytes_and_messages(int size, const P2POptions& options, Body&& body) {
    HarnessOptions h;
    h.p2p = options;
    RankOutcomes o = run_ranks(size, h, body);
    EXPECT_TRUE(o.first_failure().empty()) << o.first_failure();
    return {o.world->bytes_sent(), o.world->messages_sent()};
}

std::uint64_t allreduce_bytes(int size, AllreduceAlgorithm algorithm) {
    P2POptions options;
    options.allreduce = algorithm;
    return bytes_and_messages(size, options, [](TestPeer& peer) {
               std::vector<std::int64_t> in(kCount, 1), out(kCount);
               peer.backend().allreduce(bytes_of(in), writable(out), make_reduce<std::int64_t>(Op::sum),
                                        peer.next(OpKind::allreduce));
           }).first;
}

class CostTest : public testing::TestWithParam<int> {};

TEST_P(CostTest, AllreduceBytesMatchTheDocumentedFormulas) {
    const int p = GetParam(), q = floor_pow2(p), rem = p - q;
    int log_q = 0;
    while ((1 << log_q) < q) ++log_q;
    EXPECT_EQ(allreduce_bytes(p, AllreduceAlgorithm::ring), p == 1 ? 0 : 2 * std::uint64_t(p - 1) * kBytes);
    EXPECT_EQ(allreduce_bytes(p, AllreduceAlgorithm::rabenseifner), (2 * std::uint64_t(q - 1) + 2 * rem) * kBytes);
    EXPECT_EQ(allreduce_bytes(p, AllreduceAlgorithm::recursive_doubling),
              (std::uint64_t(q) * log_q + 2 * rem) * kBytes);
}

TEST_P(CostTest, TreesChainsAndRingsMoveTheDocumentedBytes) {
    const int p = GetParam();
    auto sum = make_reduce<std::int64_t>(Op::sum);
    auto minus = make_reduce(function<std::int64_t>([](std::int64_t a, std::int64_t b) { return a - b; }));
    P2POptions binomial;
    binomial.bcast = detail::p2p::BcastAlgorithm::binomial;
    EXPECT_EQ(bytes_and_messages(p, binomial, [p](TestPeer& peer) {
                  std::vector<std::int64_t> d(kCount);
                  peer.backend().bcast(writable(d), p / 2, peer.next(OpKind::bcast));
              }).first,
              std::uint64_t(p - 1) * kBytes);
    for (const auto* fn : {&sum, &minus}) {  // binomial tree and ordered fold: (P - 1) n each
        EXPECT_EQ(bytes_and_messages(p, P2POptions{}, [fn, p](TestPeer& peer) {
                      std::vector<std::int64_t> in(kCount, 1), out(kCount);
                      peer.backend().reduce(bytes_of(in), writable(out), p - 1, *fn, peer.next(OpKind::reduce));
                  }).first,
                  std::uint64_t(p - 1) * kBytes);
    }
    EXPECT_EQ(bytes_and_messages(p, P2POptions{}, [p](TestPeer& peer) {
                  std::vector<std::int64_t> in(kCount), out(kCount * static_cast<std::size_t>(p));
                  peer.backend().allgather(bytes_of(in), writable(out), peer.next(OpKind::allgather));
              }).first,
              std::uint64_t(p) * (p - 1) * kBytes);
    // Recursive-doubling scan: n sum_k (P - 2^k); linear chain: (P - 1) n.
    std::uint64_t scan_rd = 0;
    for (int d = 1; d < p; d <<= 1) scan_rd += std::uint64_t(p - d) * kBytes;
    EXPECT_EQ(bytes_and_messages(p, P2POptions{}, [&](TestPeer& peer) {
                  std::vector<std::int64_t> in(kCount, 1), out(kCount);
                  peer.backend().scan(bytes_of(in), writable(out), sum, peer.next(OpKind::scan));
              }).first,
              scan_rd);
    EXPECT_EQ(bytes_and_messages(p, P2POptions{}, [&](TestPeer& peer) {
                  std::vector<std::int64_t> in(kCount, 1), out(kCount);
                  peer.backend().scan(bytes_of(in), writable(out), minus, peer.next(OpKind::scan));
              }).first,
              std::uint64_t(p - 1) * kBytes);
    // Binomial gather and scatter: every non-root's subtree passes its
    // parent link once, n count(v) bytes; van de Geijn's bcast scatters
    // count(v) blocks of n / P, then the ring moves (P - 1) n.
    const int root = p / 2;
    std::uint64_t subtree_blocks = 0;
    for (int r = 0; r < p; ++r)
        if (r != root) subtree_blocks += std::uint64_t(detail::p2p::BinomialTree(r, root, p).count());
    EXPECT_EQ(bytes_and_messages(p, P2POptions{}, [p, root](TestPeer& peer) {
                  std::vector<std::int64_t> in(kCount), out(peer.rank() == root ? kCount * static_cast<std::size_t>(p) : 0);
                  peer.backend().gather(bytes_of(in), writable(out), root, peer.next(OpKind::gather));
              }).first,
              subtree_blocks * kBytes);
    EXPECT_EQ(bytes_and_messages(p, P2POptions{}, [p, root](TestPeer& peer) {
                  std::vector<std::int64_t> in(peer.rank() == root ? kCount * static_cast<std::size_t>(p) : 0), out(kCount);
                  peer.backend().scatter(bytes_of(in), writable(out), root, peer.next(OpKind::scatter));
              }).first,
              subtree_blocks * kBytes);
    P2POptions van_de_geijn;
    van_de_geijn.bcast = detail::p2p::BcastAlgorithm::scatter_allgather;
    EXPECT_EQ(bytes_and_messages(p, van_de_geijn, [root](TestPeer& peer) {
                  std::vector<std::int64_t> d(kCount);
                  peer.backend().bcast(writable(d), root, peer.next(OpKind::bcast));
              }).first,
              subtree_blocks * kBytes / std::uint64_t(p) + std::uint64_t(p - 1) * kBytes);
    // Dissemination barrier: ceil(log2 P) empty messages per peer.
    auto barrier = bytes_and_messages(p, P2POptions{}, [](TestPeer& peer) { peer.backend().barrier(peer.next(OpKind::barrier)); });
    EXPECT_EQ(barrier.first, 0u);
    EXPECT_EQ(barrier.second, std::uint64_t(p) * ceil_log2(p));
}

INSTANTIATE_TEST_SUITE_P(Sizes, CostTest, testing::Range(1, 10), size_name);

}  // namespace
}  // namespace fmi::test
