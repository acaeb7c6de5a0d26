// Inclusive scan over world sizes 1..9 with both algorithms (recursive
// doubling for associative functions, the linear chain for all), every
// reduction of reductions.hpp, several sizes, multi-segment options, in place
// or not.
#include "elementwise_run.hpp"

#include "collectives/p2p/selection.hpp"

namespace fmi::test {
namespace {

using detail::p2p::ScanAlgorithm;

template <class T>
void check_scan(int size, const ReductionCase<T>& c, std::size_t count, const std::string& options_name,
                P2POptions options, ScanAlgorithm algorithm, bool in_place) {
    options.scan = algorithm;
    SCOPED_TRACE(case_text(size, -1, c.name, count, options_name + " " + detail::p2p::to_string(algorithm), in_place));
    HarnessOptions h;
    h.p2p = options;
    const auto [results, input_intact] =
        run_elementwise(size, h, c, count, in_place, [&](TestPeer& peer, ConstBytes in, MutableBytes out) {
            peer.backend().scan(in, out, c.fn, peer.next(OpKind::scan));
        });
    for (int r = 0; r < size; ++r) {
        EXPECT_EQ(results[static_cast<std::size_t>(r)], expected_of(c, r, count)) << "at rank " << r;
        EXPECT_TRUE(input_intact[static_cast<std::size_t>(r)]) << "rank " << r << "'s input changed";
    }
}

class ScanTest : public testing::TestWithParam<Shape> {};

TEST_P(ScanTest, EveryPeerGetsItsLeftToRightPrefix) {
    const auto [size, root, count] = GetParam();
    for (ScanAlgorithm algorithm : {ScanAlgorithm::recursive_doubling, ScanAlgorithm::linear}) {
        for (const auto& [options_name, options] : option_sets()) {
            for_each_reduction([&](const auto& c) {
                check_scan(size, c, count, options_name, options, algorithm, false);
                if (count >= 7) check_scan(size, c, count, options_name, options, algorithm, true);
            });
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, ScanTest, testing::ValuesIn(unrooted_shapes()), unrooted_name);

TEST(ScanSelection, NonAssociativeFunctionsAlwaysTakeTheChain) {
    P2POptions options;
    options.scan = ScanAlgorithm::recursive_doubling;
    EXPECT_EQ(detail::p2p::choose_scan(options, minus_case().fn), ScanAlgorithm::linear);
    EXPECT_EQ(detail::p2p::choose_scan(options, matrix_case().fn), ScanAlgorithm::recursive_doubling);
    EXPECT_EQ(detail::p2p::choose_scan(P2POptions{}, make_reduce<int>(Op::sum)), ScanAlgorithm::recursive_doubling);
    // a pin wins over the options, except for non-associative functions
    EXPECT_EQ(detail::p2p::choose_scan(options, matrix_case().fn, "linear"), ScanAlgorithm::linear);
    EXPECT_EQ(detail::p2p::choose_scan(P2POptions{}, minus_case().fn, "recursive_doubling"), ScanAlgorithm::linear);
    EXPECT_THROW(detail::p2p::choose_scan(P2POptions{}, matrix_case().fn, "ring"), UsageError);
}

TEST(ScanLarge, EightMebibytes) {
    const std::size_t count = (8u << 20) / sizeof(std::int64_t);
    check_scan(4, integer_cases()[0], count, "default", P2POptions{}, ScanAlgorithm::recursive_doubling, false);
    check_scan(3, concat_case(), count, "default", P2POptions{}, ScanAlgorithm::linear, true);
}

}  // namespace
}  // namespace fmi::test
