// bcast over world sizes 1..9, roots first/last/middle, both algorithms
// (pipelined binomial tree, van de Geijn scatter + allgather), several sizes
// and multi-segment options; plus 8 MiB cases.
#include "typed_calls.hpp"

#include "collectives/p2p/selection.hpp"

#include <cstdint>

namespace fmi::test {
namespace {

using detail::p2p::BcastAlgorithm;

std::uint32_t pattern(int root, std::size_t i) { return std::uint32_t(i * 2654435761u) ^ std::uint32_t(root + 1); }

void check_bcast(int size, int root, std::size_t count, const std::string& options_name, P2POptions options,
                 BcastAlgorithm algorithm) {
    options.bcast = algorithm;
    SCOPED_TRACE(case_text(size, root, detail::p2p::to_string(algorithm), count, options_name, false));
    HarnessOptions h;
    h.p2p = options;
    std::vector<std::vector<std::uint32_t>> results(static_cast<std::size_t>(size));
    expect_all_succeed(size, h, [&](TestPeer& peer) {
        std::vector<std::uint32_t> data(count, 0xdeadbeef);
        if (peer.rank() == root)
            for (std::size_t i = 0; i < count; ++i) data[i] = pattern(root, i);
        peer.backend().bcast(writable(data), root, peer.next(OpKind::bcast));
        results[static_cast<std::size_t>(peer.rank())] = data;
    });
    std::vector<std::uint32_t> expected(count);
    for (std::size_t i = 0; i < count; ++i) expected[i] = pattern(root, i);
    for (int r = 0; r < size; ++r) EXPECT_EQ(results[static_cast<std::size_t>(r)], expected) << "at rank " << r;
}

class BcastTest : public testing::TestWithParam<Shape> {};

TEST_P(BcastTest, EveryPeerGetsTheRootsData) {
    const auto [size, root, count] = GetParam();
    for (BcastAlgorithm algorithm : {BcastAlgorithm::binomial, BcastAlgorithm::scatter_allgather}) {
        for (const auto& [options_name, options] : option_sets())
            check_bcast(size, root, count, options_name, options, algorithm);
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, BcastTest, testing::ValuesIn(rooted_shapes()), rooted_name);

TEST(BcastLarge, EightMebibytes) {
    const std::size_t count = (8u << 20) / sizeof(std::uint32_t);
    check_bcast(5, 2, count, "default", P2POptions{}, BcastAlgorithm::scatter_allgather);
    check_bcast(3, 2, count, "default", P2POptions{}, BcastAlgorithm::automatic);
}

TEST(BcastSelection, TheTreeByDefaultScatterAllgatherWhenConfigured) {
    P2POptions options;
    EXPECT_EQ(detail::p2p::choose_bcast(options, 8, 8), BcastAlgorithm::binomial);
    EXPECT_EQ(detail::p2p::choose_bcast(options, 1u << 30, 8), BcastAlgorithm::binomial);
    options.bcast_scatter_allgather_min_bytes = 1u << 20;
    EXPECT_EQ(detail::p2p::choose_bcast(options, (1u << 20) - 1, 8), BcastAlgorithm::binomial);
    EXPECT_EQ(detail::p2p::choose_bcast(options, 1u << 20, 8), BcastAlgorithm::scatter_allgather);
    EXPECT_EQ(detail::p2p::choose_bcast(options, 1u << 20, 3), BcastAlgorithm::binomial);  // below min peers
    options.bcast = BcastAlgorithm::scatter_allgather;
    EXPECT_EQ(detail::p2p::choose_bcast(options, 8, 2), BcastAlgorithm::scatter_allgather);
    // a pin wins over the options
    EXPECT_EQ(detail::p2p::choose_bcast(options, 8, 2, "binomial"), BcastAlgorithm::binomial);
    EXPECT_EQ(detail::p2p::choose_bcast(P2POptions{}, 8, 5, "scatter_allgather"), BcastAlgorithm::scatter_allgather);
    EXPECT_THROW(detail::p2p::choose_bcast(options, 8, 2, "publish"), UsageError);
}

}  // namespace
}  // namespace fmi::test
