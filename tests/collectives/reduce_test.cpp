// reduce over world sizes 1..9, roots first/last/middle, every reduction of
// reductions.hpp (reorderable ones take the binomial tree, the others the
// ordered fold), several sizes, with and without multi-segment options, in
// place or not.
#include "reductions.hpp"
#include "typed_calls.hpp"

namespace fmi::test {
namespace {

template <class T>
void check_reduce(int size, int root, const ReductionCase<T>& c, std::size_t count, const std::string& options_name,
                  const P2POptions& options, bool in_place) {
    SCOPED_TRACE(case_text(size, root, c.name, count, options_name, in_place));
    HarnessOptions h;
    h.p2p = options;
    std::vector<T> result;
    std::vector<int> input_intact(static_cast<std::size_t>(size), 0);
    expect_all_succeed(size, h, [&](TestPeer& peer) {
        std::vector<T> in = inputs_of(c, peer.rank(), count);
        const std::vector<T> original = in;
        const bool is_root = peer.rank() == root;
        if (in_place && is_root) {
            peer.backend().reduce(bytes_of(in), writable(in), root, c.fn, peer.next(OpKind::reduce));
            result = in;
            input_intact[static_cast<std::size_t>(peer.rank())] = 1;
        } else {
            std::vector<T> out(is_root ? count : 0);  // non-roots pass no output, as the communicator does
            peer.backend().reduce(bytes_of(in), writable(out), root, c.fn, peer.next(OpKind::reduce));
            if (is_root) result = out;
            input_intact[static_cast<std::size_t>(peer.rank())] = in == original;
        }
    });
    EXPECT_EQ(result, expected_of(c, size - 1, count));
    for (int r = 0; r < size; ++r) EXPECT_TRUE(input_intact[static_cast<std::size_t>(r)]) << "rank " << r << "'s input changed";
}

class ReduceTest : public testing::TestWithParam<Shape> {};

TEST_P(ReduceTest, EveryFunctionGivesTheLeftToRightResult) {
    const auto [size, root, count] = GetParam();
    for (const auto& [options_name, options] : option_sets()) {
        for_each_reduction([&](const auto& c) {
            check_reduce(size, root, c, count, options_name, options, false);
            if (count >= 7) check_reduce(size, root, c, count, options_name, options, true);
        });
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, ReduceTest, testing::ValuesIn(rooted_shapes()), rooted_name);

TEST(ReduceLarge, EightMebibytesOfSumsAndOrderedFolds) {
    const std::size_t count = (8u << 20) / sizeof(std::int64_t);
    check_reduce(3, 2, integer_cases()[0], count, "default", P2POptions{}, false);
    check_reduce(3, 1, minus_case(), count, "default", P2POptions{}, true);
}

}  // namespace
}  // namespace fmi::test
