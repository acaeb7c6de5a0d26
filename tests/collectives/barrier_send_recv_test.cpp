// barrier (dissemination) and point-to-point send/recv over world sizes 1..9.
#include "typed_calls.hpp"

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

namespace fmi::test {
namespace {

class BarrierTest : public testing::TestWithParam<int> {};

/// No peer leaves barrier k before every peer has entered it: each peer
/// counts its arrival (after a random delay) and checks, once out, that all
/// P arrivals of that round were counted.
TEST_P(BarrierTest, NoPeerLeavesBeforeAllHaveArrived) {
    const int size = GetParam();
    constexpr int kRounds = 6;
    std::vector<std::atomic<int>> arrived(kRounds);
    std::vector<std::atomic<int>> early_leavers(kRounds);
    expect_all_succeed(size, HarnessOptions{}, [&](TestPeer& peer) {
        std::mt19937 gen(static_cast<unsigned>(peer.rank()));
        for (int k = 0; k < kRounds; ++k) {
            std::this_thread::sleep_for(std::chrono::microseconds(gen() % 2000));
            arrived[static_cast<std::size_t>(k)].fetch_add(1);
            peer.backend().barrier(peer.next(OpKind::barrier));
            if (arrived[static_cast<std::size_t>(k)].load() != size) early_leavers[static_cast<std::size_t>(k)]++;
        }
    });
    for (int k = 0; k < kRounds; ++k) EXPECT_EQ(early_leavers[static_cast<std::size_t>(k)].load(), 0) << "round " << k;
}

INSTANTIATE_TEST_SUITE_P(Sizes, BarrierTest, testing::Range(1, 10), size_name);

class SendRecvTest : public testing::TestWithParam<int> {};

/// Every peer sends three messages (empty, one element, 1001 elements) to
/// every other peer, then receives them: contents and order per pair are kept.
TEST_P(SendRecvTest, MessagesArriveWholeAndInOrderPerPair) {
    const int size = GetParam();
    auto message = [](int src, int dst, std::size_t k) {
        std::size_t count = k == 0 ? 0 : (k == 1 ? 1 : 1001);
        std::vector<std::int32_t> v(count);
        for (std::size_t i = 0; i < count; ++i) v[i] = src * 100000 + dst * 1000 + static_cast<int>(k * 10 + i % 7);
        return v;
    };
    std::vector<int> mismatches(static_cast<std::size_t>(size), 0);
    HarnessOptions h;
    h.queue_capacity = 1u << 20;  // every peer sends before it receives
    expect_all_succeed(size, h, [&](TestPeer& peer) {
        for (int dst = 0; dst < size; ++dst) {
            if (dst == peer.rank()) continue;
            for (std::size_t k = 0; k < 3; ++k) {
                auto v = message(peer.rank(), dst, k);
                peer.backend().send(bytes_of(v), dst, peer.next_send(dst));
            }
        }
        for (int src = size - 1; src >= 0; --src) {
            if (src == peer.rank()) continue;
            for (std::size_t k = 0; k < 3; ++k) {
                auto expected = message(src, peer.rank(), k);
                std::vector<std::int32_t> got(expected.size());
                peer.backend().recv(writable(got), src, peer.next_recv(src));
                if (got != expected) mismatches[static_cast<std::size_t>(peer.rank())]++;
            }
        }
    });
    for (int r = 0; r < size; ++r) EXPECT_EQ(mismatches[static_cast<std::size_t>(r)], 0) << "rank " << r;
}

INSTANTIATE_TEST_SUITE_P(Sizes, SendRecvTest, testing::Range(2, 10), size_name);

}  // namespace
}  // namespace fmi::test
