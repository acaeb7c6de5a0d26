// Runs one test body per rank, each on its own thread with its own p2p
// backend over an in-process channel, as P processes with communicators
// would. A rank whose body throws aborts its backend (as the communicator
// does), so its partners fail fast instead of waiting out their deadlines.
#pragma once

#include "collectives/p2p/p2p_backend.hpp"
#include "inproc_channel.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace fmi::test {

using detail::Backend;
using detail::OpContext;
using detail::OpKind;
using detail::p2p::P2POptions;

/// One rank's view: its backend plus the communicator's bookkeeping
/// (collective and per-pair sequence numbers, the per-operation deadline).
class TestPeer {
public:
    TestPeer(int rank, int size, Backend& backend, std::chrono::milliseconds timeout)
        : rank_(rank), size_(size), backend_(backend), timeout_(timeout), send_seq_(size), recv_seq_(size) {}

    int rank() const noexcept { return rank_; }
    int size() const noexcept { return size_; }
    Backend& backend() noexcept { return backend_; }

    /// The context of the next collective of kind `op`.
    OpContext next(OpKind op) { return OpContext{op, collective_seq_++, detail::Deadline(timeout_)}; }
    OpContext next_send(int dest) { return OpContext{OpKind::send, send_seq_[dest]++, detail::Deadline(timeout_)}; }
    OpContext next_recv(int src) { return OpContext{OpKind::send, recv_seq_[src]++, detail::Deadline(timeout_)}; }

private:
    int rank_, size_;
    Backend& backend_;
    std::chrono::milliseconds timeout_;
    std::uint64_t collective_seq_ = 0;
    std::vector<std::uint64_t> send_seq_, recv_seq_;
};

struct HarnessOptions {
    P2POptions p2p;
    std::chrono::milliseconds timeout{30'000};
    std::size_t queue_capacity = 64u << 10;
};

/// What each rank's body threw (nullptr: it returned).
struct RankOutcomes {
    std::vector<std::exception_ptr> errors;
    std::shared_ptr<InprocWorld> world;

    /// Describes the first failure, empty when every rank succeeded.
    std::string first_failure() const {
        for (std::size_t r = 0; r < errors.size(); ++r) {
            if (!errors[r]) continue;
            try {
                std::rethrow_exception(errors[r]);
            } catch (const std::exception& e) {
                return "rank " + std::to_string(r) + ": " + e.what();
            }
        }
        return {};
    }
};

template <class Body>
RankOutcomes run_ranks(int size, const HarnessOptions& options, Body&& body) {
    RankOutcomes outcomes;
    outcomes.world = InprocWorld::create(size, options.queue_capacity);
    outcomes.errors.resize(static_cast<std::size_t>(size));
    detail::Logger log(detail::LogLevel::warn, "test");
    std::vector<std::unique_ptr<Backend>> backends;
    for (int r = 0; r < size; ++r)
        backends.push_back(detail::make_p2p_backend(outcomes.world->channel(r), log, options.p2p));
    std::vector<std::thread> threads;
    for (int r = 0; r < size; ++r) {
        threads.emplace_back([&, r] {
            TestPeer peer(r, size, *backends[static_cast<std::size_t>(r)], options.timeout);
            try {
                body(peer);
            } catch (...) {
                outcomes.errors[static_cast<std::size_t>(r)] = std::current_exception();
                peer.backend().abort();
            }
        });
    }
    for (auto& t : threads) t.join();
    return outcomes;
}

/// Runs the body on every rank and fails the test if any rank threw.
template <class Body>
void expect_all_succeed(int size, const HarnessOptions& options, Body&& body) {
    RankOutcomes outcomes = run_ranks(size, options, std::forward<Body>(body));
    std::string failure = outcomes.first_failure();
    EXPECT_TRUE(failure.empty()) << failure;
}

/// One test case's shape: world size, root (0 for unrooted collectives) and
/// element count.
struct Shape {
    int size;
    int root;
    std::size_t count;
};

inline void PrintTo(const Shape& s, std::ostream* os) {
    *os << "P" << s.size << " root " << s.root << " count " << s.count;
}

/// Element counts every collective is tested with: empty, one element, odd
/// small, odd larger (1001 elements cross many segments with small_segments).
inline const std::vector<std::size_t>& test_counts() {
    static const std::vector<std::size_t> counts{0, 1, 7, 1001};
    return counts;
}

/// World sizes 1..9 x roots first, last and middle (without duplicates) x
/// the test counts.
inline std::vector<Shape> rooted_shapes() {
    std::vector<Shape> out;
    for (int p = 1; p <= 9; ++p) {
        std::vector<int> roots{0};
        if (p - 1 != 0) roots.push_back(p - 1);
        if (p / 2 != 0 && p / 2 != p - 1) roots.push_back(p / 2);
        for (int root : roots)
            for (std::size_t count : test_counts()) out.push_back({p, root, count});
    }
    return out;
}

/// World sizes 1..9 x the test counts (root 0, unused).
inline std::vector<Shape> unrooted_shapes() {
    std::vector<Shape> out;
    for (int p = 1; p <= 9; ++p)
        for (std::size_t count : test_counts()) out.push_back({p, 0, count});
    return out;
}

inline std::string rooted_name(const testing::TestParamInfo<Shape>& info) {
    return "P" + std::to_string(info.param.size) + "_root" + std::to_string(info.param.root) + "_n" +
           std::to_string(info.param.count);
}

inline std::string unrooted_name(const testing::TestParamInfo<Shape>& info) {
    return "P" + std::to_string(info.param.size) + "_n" + std::to_string(info.param.count);
}

inline std::string size_name(const testing::TestParamInfo<int>& info) {
    return "P" + std::to_string(info.param);
}

/// Option sets: the defaults, and 64-byte segments/slices so the small
/// counts above take the multi-segment paths.
inline std::vector<std::pair<std::string, P2POptions>> option_sets() {
    return {{"default", P2POptions{}}, {"small_segments", P2POptions::with_small_segments(64)}};
}

}  // namespace fmi::test
