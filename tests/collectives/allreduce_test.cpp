// allreduce over world sizes 1..9 with every algorithm (recursive doubling,
// Rabenseifner, ring, and the automatic choice; non-reorderable functions
// always take the ordered reduce + bcast), every reduction of reductions.hpp,
// several sizes, multi-segment options, in place or not; plus determinism of
// floating-point sums and an 8 MiB case.
#include "elementwise_run.hpp"

#include "collectives/p2p/selection.hpp"

#include <cmath>
#include <cstring>
#include <random>

namespace fmi::test {
namespace {

using detail::p2p::AllreduceAlgorithm;

const AllreduceAlgorithm kAlgorithms[] = {AllreduceAlgorithm::automatic, AllreduceAlgorithm::recursive_doubling,
                                          AllreduceAlgorithm::rabenseifner, AllreduceAlgorithm::ring};

template <class T>
void check_allreduce(int size, const ReductionCase<T>& c, std::size_t count, const std::string& options_name,
                     P2POptions options, AllreduceAlgorithm algorithm, bool in_place) {
    options.allreduce = algorithm;
    SCOPED_TRACE(case_text(size, -1, c.name, count, options_name + " " + detail::p2p::to_string(algorithm), in_place));
    HarnessOptions h;
    h.p2p = options;
    const auto [results, input_intact] =
        run_elementwise(size, h, c, count, in_place, [&](TestPeer& peer, ConstBytes in, MutableBytes out) {
            peer.backend().allreduce(in, out, c.fn, peer.next(OpKind::allreduce));
        });
    const std::vector<T> expected = expected_of(c, size - 1, count);
    for (int r = 0; r < size; ++r) {
        EXPECT_EQ(results[static_cast<std::size_t>(r)], expected) << "at rank " << r;
        EXPECT_TRUE(input_intact[static_cast<std::size_t>(r)]) << "rank " << r << "'s input changed";
    }
}

class AllreduceTest : public testing::TestWithParam<Shape> {};

TEST_P(AllreduceTest, EveryAlgorithmAndFunctionGivesTheLeftToRightResult) {
    const auto [size, root, count] = GetParam();
    for (AllreduceAlgorithm algorithm : kAlgorithms) {
        for (const auto& [options_name, options] : option_sets()) {
            for_each_reduction([&](const auto& c) {
                check_allreduce(size, c, count, options_name, options, algorithm, false);
                if (count >= 7) check_allreduce(size, c, count, options_name, options, algorithm, true);
            });
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, AllreduceTest, testing::ValuesIn(unrooted_shapes()), unrooted_name);

class AllreduceDeterminismTest : public testing::TestWithParam<int> {};

/// Sums of random doubles: rounding depends on the combination order, so
/// equal bits across repeated runs and across ranks show the order is fixed.
TEST_P(AllreduceDeterminismTest, FloatingPointSumsAreBitwiseDeterministic) {
    const int size = GetParam();
    const std::size_t count = 1001;
    auto inputs = [&](int rank) {
        std::mt19937_64 gen(1234 + rank);
        std::uniform_real_distribution<double> dist(-1e6, 1e6);
        std::vector<double> v(count);
        for (auto& x : v) x = dist(gen) * std::pow(10.0, double(rank % 5) - 2);
        return v;
    };
    std::vector<long double> exact(count, 0.0L);
    for (int r = 0; r < size; ++r) {
        auto v = inputs(r);
        for (std::size_t i = 0; i < count; ++i) exact[i] += v[i];
    }
    for (AllreduceAlgorithm algorithm : kAlgorithms) {
        for (const auto& [options_name, base] : option_sets()) {
            SCOPED_TRACE(options_name + " " + detail::p2p::to_string(algorithm));
            P2POptions options = base;
            options.allreduce = algorithm;
            HarnessOptions h;
            h.p2p = options;
            std::vector<std::vector<double>> first;
            for (int run = 0; run < 3; ++run) {
                std::vector<std::vector<double>> results(static_cast<std::size_t>(size));
                expect_all_succeed(size, h, [&](TestPeer& peer) {
                    auto in = inputs(peer.rank());
                    std::vector<double> out(count);
                    peer.backend().allreduce(bytes_of(in), writable(out), make_reduce<double>(Op::sum),
                                             peer.next(OpKind::allreduce));
                    results[static_cast<std::size_t>(peer.rank())] = out;
                });
                for (int r = 0; r < size; ++r) {
                    auto& res = results[static_cast<std::size_t>(r)];
                    ASSERT_EQ(0, std::memcmp(res.data(), results[0].data(), count * sizeof(double)))
                        << "rank " << r << " differs from rank 0 in run " << run;
                }
                if (run == 0) first = results;
                else ASSERT_EQ(0, std::memcmp(results[0].data(), first[0].data(), count * sizeof(double)))
                         << "run " << run << " differs from run 0";
            }
            for (std::size_t i = 0; i < count; ++i)
                ASSERT_NEAR(double(exact[i]), first[0][i], 1e-9 * 1e6 * size) << "element " << i;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Sizes, AllreduceDeterminismTest, testing::Range(1, 10), size_name);

TEST(AllreduceLarge, EightMebibytes) {
    const std::size_t count = (8u << 20) / sizeof(std::int64_t);
    check_allreduce(4, integer_cases()[0], count, "default", P2POptions{}, AllreduceAlgorithm::automatic, true);
    check_allreduce(3, integer_cases()[0], count, "default", P2POptions{}, AllreduceAlgorithm::ring, false);
    check_allreduce(3, integer_cases()[0], count, "default", P2POptions{}, AllreduceAlgorithm::rabenseifner, false);
    check_allreduce(3, matrix_case(), count / 4, "default", P2POptions{}, AllreduceAlgorithm::automatic, false);
}

TEST(AllreduceSelection, RecursiveDoublingThenRabenseifnerForPowersOfTwoElseTheRing) {
    P2POptions options;
    const std::size_t rd_max = options.allreduce_recursive_doubling_max_bytes;
    EXPECT_EQ(detail::p2p::choose_allreduce(options, 8, 4), AllreduceAlgorithm::recursive_doubling);
    EXPECT_EQ(detail::p2p::choose_allreduce(options, rd_max, 6), AllreduceAlgorithm::recursive_doubling);
    EXPECT_EQ(detail::p2p::choose_allreduce(options, rd_max + 1, 4), AllreduceAlgorithm::rabenseifner);
    EXPECT_EQ(detail::p2p::choose_allreduce(options, 1u << 30, 8), AllreduceAlgorithm::rabenseifner);
    EXPECT_EQ(detail::p2p::choose_allreduce(options, rd_max + 1, 6), AllreduceAlgorithm::ring);
    options.allreduce_rabenseifner_max_bytes = 1u << 20;
    EXPECT_EQ(detail::p2p::choose_allreduce(options, 1u << 20, 8), AllreduceAlgorithm::rabenseifner);
    EXPECT_EQ(detail::p2p::choose_allreduce(options, (1u << 20) + 1, 8), AllreduceAlgorithm::ring);
    options.allreduce = AllreduceAlgorithm::ring;
    EXPECT_EQ(detail::p2p::choose_allreduce(options, 8, 4), AllreduceAlgorithm::ring);
}

TEST(AllreduceSelection, APinnedAlgorithmWinsOverTheOptionsAndTheSize) {
    P2POptions options;
    options.allreduce = AllreduceAlgorithm::ring;
    EXPECT_EQ(detail::p2p::choose_allreduce(options, 8, 4, "rabenseifner"), AllreduceAlgorithm::rabenseifner);
    EXPECT_EQ(detail::p2p::choose_allreduce(P2POptions{}, 1u << 30, 8, "recursive_doubling"),
              AllreduceAlgorithm::recursive_doubling);
    EXPECT_EQ(detail::p2p::choose_allreduce(P2POptions{}, 8, 3, "ring"), AllreduceAlgorithm::ring);
    EXPECT_THROW(detail::p2p::choose_allreduce(options, 8, 4, "exchange"), UsageError);
    EXPECT_THROW(detail::p2p::choose_allreduce(options, 8, 4, "automatic"), UsageError);
}

}  // namespace
}  // namespace fmi::test
