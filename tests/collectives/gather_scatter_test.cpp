// gather, scatter and allgather over world sizes 1..9, roots first/last/
// middle, several sizes, with the default options and with tiny slices and
// segments (so relays move their subtree in many slices and the root copies
// through scratch), plus the in-place forms (the root's own block already in
// place) and 8 MiB cases.
#include "typed_calls.hpp"

#include <cstdint>

namespace fmi::test {
namespace {

/// Peer r's element i: distinct for every (r, i).
std::uint64_t block_value(int rank, std::size_t i) { return std::uint64_t(rank) * 1000003u + i * 7 + 1; }

std::vector<std::uint64_t> block_of(int rank, std::size_t count) {
    std::vector<std::uint64_t> v(count);
    for (std::size_t i = 0; i < count; ++i) v[i] = block_value(rank, i);
    return v;
}

/// All peers' blocks in peer order.
std::vector<std::uint64_t> all_blocks(int size, std::size_t count) {
    std::vector<std::uint64_t> v;
    for (int r = 0; r < size; ++r) {
        auto b = block_of(r, count);
        v.insert(v.end(), b.begin(), b.end());
    }
    return v;
}

void check_gather(int size, int root, std::size_t count, const std::string& options_name, const P2POptions& options,
                  bool in_place) {
    SCOPED_TRACE(case_text(size, root, "gather", count, options_name, in_place));
    HarnessOptions h;
    h.p2p = options;
    std::vector<std::uint64_t> result;
    std::vector<int> input_intact(static_cast<std::size_t>(size), 0);
    expect_all_succeed(size, h, [&](TestPeer& peer) {
        const bool is_root = peer.rank() == root;
        std::vector<std::uint64_t> in = block_of(peer.rank(), count);
        std::vector<std::uint64_t> out(is_root ? count * static_cast<std::size_t>(size) : 0, 0xdead);
        ConstBytes send = bytes_of(in);
        if (in_place && is_root) {  // the root's block already sits in its output
            std::copy(in.begin(), in.end(), out.begin() + static_cast<std::ptrdiff_t>(count) * root);
            send = bytes_of(out).subspan(count * sizeof(std::uint64_t) * static_cast<std::size_t>(root),
                                         count * sizeof(std::uint64_t));
        }
        peer.backend().gather(send, writable(out), root, peer.next(OpKind::gather));
        if (is_root) result = out;
        input_intact[static_cast<std::size_t>(peer.rank())] = in == block_of(peer.rank(), count);
    });
    EXPECT_EQ(result, all_blocks(size, count));
    for (int r = 0; r < size; ++r) EXPECT_TRUE(input_intact[static_cast<std::size_t>(r)]) << "rank " << r;
}

void check_scatter(int size, int root, std::size_t count, const std::string& options_name, const P2POptions& options,
                   bool in_place) {
    SCOPED_TRACE(case_text(size, root, "scatter", count, options_name, in_place));
    HarnessOptions h;
    h.p2p = options;
    std::vector<std::vector<std::uint64_t>> results(static_cast<std::size_t>(size));
    int root_input_intact = 0;
    expect_all_succeed(size, h, [&](TestPeer& peer) {
        const bool is_root = peer.rank() == root;
        std::vector<std::uint64_t> in = is_root ? all_blocks(size, count) : std::vector<std::uint64_t>{};
        std::vector<std::uint64_t> out(count, 0xdead);
        MutableBytes receive = writable(out);
        if (in_place && is_root)  // the root keeps its block where it is
            receive = writable(in).subspan(count * sizeof(std::uint64_t) * static_cast<std::size_t>(root),
                                              count * sizeof(std::uint64_t));
        peer.backend().scatter(bytes_of(in), receive, root, peer.next(OpKind::scatter));
        if (in_place && is_root) out.assign(in.begin() + static_cast<std::ptrdiff_t>(count) * root,
                                            in.begin() + static_cast<std::ptrdiff_t>(count) * (root + 1));
        results[static_cast<std::size_t>(peer.rank())] = out;
        if (is_root) root_input_intact = in == all_blocks(size, count);
    });
    for (int r = 0; r < size; ++r) EXPECT_EQ(results[static_cast<std::size_t>(r)], block_of(r, count)) << "rank " << r;
    EXPECT_TRUE(root_input_intact);
}

void check_allgather(int size, std::size_t count, const std::string& options_name, const P2POptions& options,
                     bool in_place) {
    SCOPED_TRACE(case_text(size, -1, "allgather", count, options_name, in_place));
    HarnessOptions h;
    h.p2p = options;
    std::vector<std::vector<std::uint64_t>> results(static_cast<std::size_t>(size));
    std::vector<int> input_intact(static_cast<std::size_t>(size), 0);
    expect_all_succeed(size, h, [&](TestPeer& peer) {
        const auto r = static_cast<std::size_t>(peer.rank());
        std::vector<std::uint64_t> in = block_of(peer.rank(), count);
        std::vector<std::uint64_t> out(count * static_cast<std::size_t>(size), 0xdead);
        ConstBytes send = bytes_of(in);
        if (in_place) {
            std::copy(in.begin(), in.end(), out.begin() + static_cast<std::ptrdiff_t>(count * r));
            send = bytes_of(out).subspan(count * sizeof(std::uint64_t) * r, count * sizeof(std::uint64_t));
        }
        peer.backend().allgather(send, writable(out), peer.next(OpKind::allgather));
        results[r] = out;
        input_intact[r] = in == block_of(peer.rank(), count);
    });
    for (int r = 0; r < size; ++r) {
        EXPECT_EQ(results[static_cast<std::size_t>(r)], all_blocks(size, count)) << "rank " << r;
        EXPECT_TRUE(input_intact[static_cast<std::size_t>(r)]) << "rank " << r;
    }
}

class RootedTest : public testing::TestWithParam<Shape> {};

TEST_P(RootedTest, GatherCollectsBlocksInPeerOrder) {
    const auto [size, root, count] = GetParam();
    for (const auto& [options_name, options] : option_sets()) {
        check_gather(size, root, count, options_name, options, false);
        check_gather(size, root, count, options_name, options, true);
    }
}

TEST_P(RootedTest, ScatterDealsBlocksInPeerOrder) {
    const auto [size, root, count] = GetParam();
    for (const auto& [options_name, options] : option_sets()) {
        check_scatter(size, root, count, options_name, options, false);
        check_scatter(size, root, count, options_name, options, true);
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, RootedTest, testing::ValuesIn(rooted_shapes()), rooted_name);

class AllgatherTest : public testing::TestWithParam<Shape> {};

TEST_P(AllgatherTest, EveryPeerGetsEveryBlockInPeerOrder) {
    const auto [size, root, count] = GetParam();
    for (const auto& [options_name, options] : option_sets()) {
        check_allgather(size, count, options_name, options, false);
        check_allgather(size, count, options_name, options, true);
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, AllgatherTest, testing::ValuesIn(unrooted_shapes()), unrooted_name);

TEST(GatherScatterLarge, OneMebibytePerPeerAcrossSeveralSlices) {
    // 1 MiB per peer x 6 peers with a 2 MiB scratch budget: several slices.
    const std::size_t count = (1u << 20) / sizeof(std::uint64_t);
    P2POptions options;
    options.gather_scratch_bytes = 2u << 20;
    check_gather(6, 4, count, "2 MiB scratch", options, false);
    check_scatter(6, 4, count, "2 MiB scratch", options, false);
    check_allgather(6, count, "default", P2POptions{}, false);
}

}  // namespace
}  // namespace fmi::test
