// The direct channel through the rendezvous server's relay and with a shared
// secret, on loopback (the NAT cases themselves are in tests/nat).
#include "channels/direct/direct_channel.hpp"
#include "rendezvous/client.hpp"
#include "rendezvous/server.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

namespace fmi::detail {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kGenerous{20'000};

std::vector<std::byte> pattern(std::size_t size, int seed) {
    std::vector<std::byte> v(size);
    for (std::size_t i = 0; i < size; ++i) v[i] = static_cast<std::byte>((i * 7 + static_cast<std::size_t>(seed) * 13) % 251);
    return v;
}

struct World {
    explicit World(std::string secret) : server([&] {
        RendezvousServerOptions o;
        o.host = "127.0.0.1";
        o.secret = std::move(secret);
        return o;
    }()) {}
    DirectOptions options(const std::string& secret, DirectOptions::Relay relay) const {
        DirectOptions o;
        o.rendezvous_host = "127.0.0.1";
        o.rendezvous_port = server.port();
        o.connect_timeout = kGenerous;
        o.secret = secret;
        o.relay = relay;
        return o;
    }
    /// body(channel) on n threads; first failure rethrown.
    void run(int n, const DirectOptions& o, const std::function<void(PeerChannel&)>& body) {
        std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
        std::vector<std::thread> threads;
        for (int rank = 0; rank < n; ++rank)
            threads.emplace_back([&, rank] {
                try {
                    auto ch = make_direct_channel({rank, n, "relay-test"}, o, log);
                    body(*ch);
                } catch (...) {
                    errors[static_cast<std::size_t>(rank)] = std::current_exception();
                }
            });
        for (auto& t : threads) t.join();
        for (auto& e : errors)
            if (e) std::rethrow_exception(e);
    }
    RendezvousServer server;
    Logger log{LogLevel::error, "relay-test"};
};

// Five peers, every pair relayed, with a secret: an all-to-all of odd and
// multi-MiB sizes arrives intact, and the relay passes on the graceful close.
TEST(DirectRelay, ForcedRelayCarriesEveryPairIntact) {
    World w("s3cret");
    constexpr int n = 5;
    w.run(n, w.options("s3cret", DirectOptions::Relay::force), [&](PeerChannel& ch) {
        const int me = ch.rank();
        for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4099}, std::size_t{3u << 20}}) {
            for (int k = 1; k < n; ++k) {
                const int to = (me + k) % n, from = (me - k + n) % n;
                auto out = pattern(size, me * 10 + k);
                std::vector<std::byte> in(size);
                ch.sendrecv(to, out, from, in, {OpKind::allgather, size + static_cast<std::size_t>(k)},
                            Deadline(kGenerous));
                EXPECT_TRUE(in == pattern(size, from * 10 + k)) << me << " from " << from << ", " << size << " B";
            }
        }
    });
}

// A mismatch still names both operations through the relay.
TEST(DirectRelay, MismatchIsDetectedThroughTheRelay) {
    World w("");
    EXPECT_THROW(w.run(2, w.options("", DirectOptions::Relay::force),
                       [&](PeerChannel& ch) {
                           std::vector<std::byte> b(8);
                           if (ch.rank() == 0) ch.send(1, {OpKind::bcast, 3}, b, Deadline(kGenerous));
                           else ch.recv(0, {OpKind::reduce, 3}, b, Deadline(kGenerous));
                       }),
                 MismatchError);
}

TEST(DirectAuth, WrongSecretIsRefusedAtOnce) {
    World w("right");
    const auto start = std::chrono::steady_clock::now();
    try {
        make_direct_channel({0, 2, "auth"}, w.options("wrong", DirectOptions::Relay::automatic), w.log);
        ADD_FAILURE() << "joined with a wrong secret";
    } catch (const rendezvous::RendezvousError& e) {
        EXPECT_EQ(e.code(), rendezvous::ErrorCode::auth_failed);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, kGenerous / 2);
}

TEST(DirectAuth, RightSecretConnects) {
    World w("right");
    w.run(3, w.options("right", DirectOptions::Relay::never), [&](PeerChannel& ch) {
        std::vector<std::byte> v(16);
        const int next = (ch.rank() + 1) % 3, prev = (ch.rank() + 2) % 3;
        auto out = pattern(16, ch.rank());
        ch.sendrecv(next, out, prev, v, {OpKind::send, 0}, Deadline(kGenerous));
        EXPECT_TRUE(v == pattern(16, prev));
    });
}

}  // namespace
}  // namespace fmi::detail
