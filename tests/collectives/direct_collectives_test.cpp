// Every collective of the p2p backend over the real direct TCP channel
// (threads as peers, paired through a rendezvous server on loopback): the
// in-process channel of the other tests stands in for it, this checks that
// nothing depends on the stand-in (zero-byte messages, sendrecv with
// different partners, multi-segment regions over sockets).
#include "reductions.hpp"
#include "typed_calls.hpp"

#include "collectives/p2p/selection.hpp"
#include "core/factories.hpp"
#include "rendezvous/server.hpp"

namespace fmi::test {
namespace {

using detail::p2p::AllreduceAlgorithm;

class DirectFixture : public testing::Test {
protected:
    detail::RendezvousServer server{[] {
        detail::RendezvousServerOptions o;
        o.host = "127.0.0.1";
        return o;
    }()};

    /// Runs body(peer) on `size` threads, each with a p2p backend over its
    /// own direct channel; fails the test if any throws.
    template <class Body>
    void run_direct(int size, const std::string& comm, const P2POptions& options, Body&& body) {
        std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size));
        std::vector<std::thread> threads;
        for (int r = 0; r < size; ++r) {
            threads.emplace_back([&, r] {
                std::unique_ptr<Backend> backend;
                try {
                    detail::Logger log(detail::LogLevel::warn, "direct-collectives");
                    DirectOptions direct;
                    direct.rendezvous_host = "127.0.0.1";
                    direct.rendezvous_port = server.port();
                    direct.listen_host = "127.0.0.1";
                    direct.connect_timeout = std::chrono::seconds(30);
                    backend = detail::make_p2p_backend(detail::make_direct_channel({r, size, comm}, direct, log), log,
                                                       options);
                    TestPeer peer(r, size, *backend, std::chrono::seconds(30));
                    body(peer);
                } catch (...) {
                    errors[static_cast<std::size_t>(r)] = std::current_exception();
                    if (backend) backend->abort();
                }
            });
        }
        for (auto& t : threads) t.join();
        for (int r = 0; r < size; ++r) {
            if (!errors[static_cast<std::size_t>(r)]) continue;
            try {
                std::rethrow_exception(errors[static_cast<std::size_t>(r)]);
            } catch (const std::exception& e) {
                ADD_FAILURE() << "rank " << r << ": " << e.what();
            }
        }
    }
};

class DirectCollectivesTest : public DirectFixture, public testing::WithParamInterface<int> {};

TEST_P(DirectCollectivesTest, EveryCollectiveGivesTheExpectedResult) {
    const int size = GetParam();
    // 4 KiB segments: the 100000-element messages cross many of them.
    for (const auto& [options_name, options] :
         std::vector<std::pair<std::string, P2POptions>>{{"default", P2POptions{}},
                                                         {"4 KiB segments", P2POptions::with_small_segments(4096)}}) {
        for (std::size_t count : {std::size_t(0), std::size_t(1), std::size_t(100000)}) {
            SCOPED_TRACE(options_name + ", " + std::to_string(count) + " elements");
            const int root = size - 1;
            auto sum = integer_cases()[0];
            auto minus = minus_case();
            auto matrix = matrix_case();
            run_direct(size, "direct-collectives-" + std::to_string(size) + "-" + std::to_string(count), options,
                       [&](TestPeer& peer) {
                           const int r = peer.rank();
                           auto& b = peer.backend();
                           // bcast
                           std::vector<std::int64_t> data(count, r == root ? 7 : 0);
                           b.bcast(writable(data), root, peer.next(OpKind::bcast));
                           EXPECT_EQ(data, std::vector<std::int64_t>(count, 7));
                           b.barrier(peer.next(OpKind::barrier));
                           // reduce: reorderable (tree) and not (ordered fold), root != 0
                           for (const auto* c : {&sum, &minus}) {
                               auto in = inputs_of(*c, r, count);
                               std::vector<std::int64_t> out(r == root ? count : 0);
                               b.reduce(bytes_of(in), writable(out), root, c->fn, peer.next(OpKind::reduce));
                               if (r == root) {
                                   EXPECT_EQ(out, expected_of(*c, size - 1, count)) << c->name;
                               }
                           }
                           // allreduce: the automatic choice, and the ordered one in place
                           {
                               auto in = inputs_of(sum, r, count);
                               std::vector<std::int64_t> out(count);
                               b.allreduce(bytes_of(in), writable(out), sum.fn, peer.next(OpKind::allreduce));
                               EXPECT_EQ(out, expected_of(sum, size - 1, count));
                               auto m = inputs_of(matrix, r, count / 4);
                               b.allreduce(bytes_of(m), writable(m), matrix.fn, peer.next(OpKind::allreduce));
                               EXPECT_EQ(m, expected_of(matrix, size - 1, count / 4));
                           }
                           // scan: recursive doubling (associative) and chain (not)
                           for (const auto* c : {&sum, &minus}) {
                               auto in = inputs_of(*c, r, count);
                               std::vector<std::int64_t> out(count);
                               b.scan(bytes_of(in), writable(out), c->fn, peer.next(OpKind::scan));
                               EXPECT_EQ(out, expected_of(*c, r, count)) << c->name;
                           }
                           // gather, scatter, allgather
                           std::vector<std::int64_t> mine(count, r + 1), all(count * static_cast<std::size_t>(size));
                           std::vector<std::int64_t> expected_all;
                           for (int q = 0; q < size; ++q) expected_all.insert(expected_all.end(), count, q + 1);
                           std::vector<std::int64_t> gathered(r == root ? all.size() : 0);
                           b.gather(bytes_of(mine), writable(gathered), root, peer.next(OpKind::gather));
                           if (r == root) {
                               EXPECT_EQ(gathered, expected_all);
                           }
                           std::vector<std::int64_t> dealt(count);
                           std::vector<std::int64_t> source = r == root ? expected_all : std::vector<std::int64_t>{};
                           b.scatter(bytes_of(source), writable(dealt), root, peer.next(OpKind::scatter));
                           EXPECT_EQ(dealt, mine);
                           b.allgather(bytes_of(mine), writable(all), peer.next(OpKind::allgather));
                           EXPECT_EQ(all, expected_all);
                       });
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Sizes, DirectCollectivesTest, testing::Values(1, 2, 3, 4, 5), size_name);

/// The large-message algorithms of allreduce, forced one by one, over sockets.
TEST_F(DirectFixture, EveryAllreduceAlgorithmOverSockets) {
    for (AllreduceAlgorithm a :
         {AllreduceAlgorithm::recursive_doubling, AllreduceAlgorithm::rabenseifner, AllreduceAlgorithm::ring}) {
        for (int size : {3, 4}) {
            SCOPED_TRACE(std::string(detail::p2p::to_string(a)) + " P" + std::to_string(size));
            P2POptions options = P2POptions::with_small_segments(4096);
            options.allreduce = a;
            auto sum = integer_cases()[0];
            const std::size_t count = 100001;
            run_direct(size, std::string("allreduce-") + detail::p2p::to_string(a) + std::to_string(size), options,
                       [&](TestPeer& peer) {
                           auto in = inputs_of(sum, peer.rank(), count);
                           peer.backend().allreduce(bytes_of(in), writable(in), sum.fn,
                                                    peer.next(OpKind::allreduce));
                           EXPECT_EQ(in, expected_of(sum, size - 1, count));
                       });
        }
    }
}

}  // namespace
}  // namespace fmi::test
