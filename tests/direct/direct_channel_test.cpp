// The direct TCP channel between peers running as threads of this process,
// paired through a real rendezvous server on loopback.
#include "channels/direct/direct_channel.hpp"
#include "channels/direct/wire.hpp"
#include "rendezvous/client.hpp"
#include "rendezvous/server.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <exception>
#include <functional>
#include <latch>
#include <thread>

namespace fmi::detail::direct {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr milliseconds kGenerous{20'000};
constexpr std::size_t kLarge = 64u << 20;

/// Content of the message identified by `seed`: 8-byte words that differ
/// at every position and for every seed, so a lost, repeated or misplaced
/// chunk is caught (computed word-wise: 64 MiB checks stay cheap).
std::uint64_t word(std::size_t index, std::uint64_t seed) {
    return (index + 1) * 0x9E3779B97F4A7C15ull ^ (seed * 0xD1B54A32D192ED03ull);
}
void fill(std::span<std::byte> data, std::uint64_t seed) {
    std::size_t i = 0;
    for (; i + 8 <= data.size(); i += 8) {
        const std::uint64_t w = word(i / 8, seed);
        std::memcpy(data.data() + i, &w, 8);
    }
    if (i == data.size()) return;
    const std::uint64_t tail = word(i / 8, seed);
    std::memcpy(data.data() + i, &tail, data.size() - i);
}
/// Offset of the first wrong 8-byte word (or tail), or -1.
long long first_mismatch(std::span<const std::byte> data, std::uint64_t seed) {
    std::size_t i = 0;
    for (; i + 8 <= data.size(); i += 8) {
        const std::uint64_t w = word(i / 8, seed);
        if (std::memcmp(data.data() + i, &w, 8) != 0) return static_cast<long long>(i);
    }
    if (i == data.size()) return -1;
    const std::uint64_t tail = word(i / 8, seed);
    if (std::memcmp(data.data() + i, &tail, data.size() - i) != 0) return static_cast<long long>(i);
    return -1;
}

MessageTag tag(std::uint64_t seq, OpKind op = OpKind::send) { return {op, seq}; }
Deadline generous() { return Deadline(kGenerous); }

class DirectChannelTest : public ::testing::Test {
protected:
    RendezvousServer server{[] {
        RendezvousServerOptions o;
        o.host = "127.0.0.1";
        return o;
    }()};
    Logger log{LogLevel::error, "direct-test"};

    DirectOptions options() const {
        DirectOptions o;
        o.rendezvous_host = "127.0.0.1";
        o.rendezvous_port = server.port();
        o.connect_timeout = kGenerous;
        return o;
    }

    std::unique_ptr<PeerChannel> connect(int rank, int size, const std::string& comm, const DirectOptions& o) {
        return make_direct_channel({rank, size, comm}, o, log);
    }

    /// Runs body(channel) for peers 0..n-1 of `comm` on n threads and
    /// rethrows the first failure.
    void run_world(int n, const std::string& comm, const std::function<void(PeerChannel&)>& body) {
        run_world(n, comm, options(), body);
    }
    void run_world(int n, const std::string& comm, const DirectOptions& o,
                   const std::function<void(PeerChannel&)>& body) {
        std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
        std::vector<std::thread> threads;
        for (int rank = 0; rank < n; ++rank)
            threads.emplace_back([&, rank] {
                try {
                    auto channel = connect(rank, n, comm, o);
                    EXPECT_EQ(channel->rank(), rank);
                    EXPECT_EQ(channel->size(), n);
                    body(*channel);
                } catch (...) {
                    errors[static_cast<std::size_t>(rank)] = std::current_exception();
                }
            });
        for (auto& t : threads) t.join();
        for (auto& e : errors)
            if (e) std::rethrow_exception(e);
    }
};

TEST_F(DirectChannelTest, MessagesOfZeroOneOddAndLargeSizesArriveIntact) {
    const std::vector<std::size_t> sizes = {0, 1, 1001, kLarge};
    run_world(2, "sizes", [&](PeerChannel& ch) {
        std::uint64_t seq = 0;
        for (std::size_t size : sizes) {
            std::vector<std::byte> buffer(size);
            if (ch.rank() == 0) {
                fill(buffer, seq);
                ch.send(1, tag(seq), buffer, generous());
            } else {
                ch.recv(0, tag(seq), buffer, generous());
                EXPECT_EQ(first_mismatch(buffer, seq), -1) << size << " bytes";
            }
            ++seq;
        }
        // And back, an odd size.
        std::vector<std::byte> back(1001);
        if (ch.rank() == 1) {
            fill(back, 77);
            ch.send(0, tag(seq), back, generous());
        } else {
            ch.recv(1, tag(seq), back, generous());
            EXPECT_EQ(first_mismatch(back, 77), -1);
        }
    });
}

TEST_F(DirectChannelTest, LargeSendrecvBothWaysDoesNotDeadlock) {
    DirectOptions o = options();
    o.socket_buffer_bytes = 1 << 20;  // far smaller than the messages
    run_world(2, "exchange", o, [&](PeerChannel& ch) {
        const int other = 1 - ch.rank();
        std::vector<std::byte> out(kLarge), in(kLarge);
        fill(out, 100 + ch.rank());
        ch.sendrecv(other, out, other, in, tag(0, OpKind::allreduce), generous());
        EXPECT_EQ(first_mismatch(in, 100 + other), -1);
    });
}

TEST_F(DirectChannelTest, SendrecvAroundARingOfThree) {
    DirectOptions o = options();
    o.listen_host = "127.0.0.1";  // an explicit listen address instead of the wildcard
    run_world(3, "ring", o, [&](PeerChannel& ch) {
        const int right = (ch.rank() + 1) % 3, left = (ch.rank() + 2) % 3;
        std::vector<std::byte> out(3u << 20), in(3u << 20);
        for (std::uint64_t step = 0; step < 3; ++step) {
            fill(out, step * 10 + ch.rank());
            ch.sendrecv(right, out, left, in, tag(step, OpKind::allgather), generous());
            EXPECT_EQ(first_mismatch(in, step * 10 + left), -1);
        }
    });
}

TEST_F(DirectChannelTest, FirstOperationsMaySendToEachOther) {
    // The original FMI connected lazily and deadlocked here.
    run_world(2, "cross", [&](PeerChannel& ch) {
        const int other = 1 - ch.rank();
        std::vector<std::byte> out(1024), in(1024);
        fill(out, ch.rank());
        ch.send(other, tag(0), out, generous());
        ch.recv(other, tag(0), in, generous());
        EXPECT_EQ(first_mismatch(in, other), -1);
    });
}

TEST_F(DirectChannelTest, DifferentOperationIsAMismatchError) {
    run_world(2, "mismatch", [&](PeerChannel& ch) {
        std::vector<std::byte> data(16);
        if (ch.rank() == 0) {
            ch.send(1, tag(3, OpKind::bcast), data, generous());
            return;
        }
        try {
            ch.recv(0, tag(3, OpKind::allreduce), data, generous());
            ADD_FAILURE() << "no MismatchError";
        } catch (const MismatchError& e) {
            const std::string text = e.what();
            EXPECT_NE(text.find("expected allreduce#3"), std::string::npos) << text;
            EXPECT_NE(text.find("sent bcast#3"), std::string::npos) << text;
            EXPECT_NE(text.find("peer 0"), std::string::npos) << text;
        }
        // The channel is broken now: fail fast, naming the first error.
        try {
            ch.recv(0, tag(4), data, generous());
            ADD_FAILURE() << "a broken channel accepted an operation";
        } catch (const IoError& e) {
            EXPECT_NE(std::string(e.what()).find("earlier error"), std::string::npos) << e.what();
        }
    });
}

TEST_F(DirectChannelTest, DifferentSequenceNumberIsAMismatchError) {
    run_world(2, "sequence", [&](PeerChannel& ch) {
        std::vector<std::byte> data(8);
        if (ch.rank() == 0) return ch.send(1, tag(5), data, generous());
        EXPECT_THROW(ch.recv(0, tag(4), data, generous()), MismatchError);
    });
}

TEST_F(DirectChannelTest, DifferentSizeIsASizeMismatchErrorNamingBothSizes) {
    run_world(2, "size", [&](PeerChannel& ch) {
        if (ch.rank() == 0) {
            std::vector<std::byte> data(100);
            return ch.send(1, tag(0), data, generous());
        }
        std::vector<std::byte> data(64);
        try {
            ch.recv(0, tag(0), data, generous());
            ADD_FAILURE() << "no SizeMismatchError";
        } catch (const SizeMismatchError& e) {
            EXPECT_EQ(e.peer(), 0);
            EXPECT_EQ(e.expected_bytes(), 64u);
            EXPECT_EQ(e.actual_bytes(), 100u);
            const std::string text = e.what();
            EXPECT_NE(text.find("100"), std::string::npos) << text;
            EXPECT_NE(text.find("64"), std::string::npos) << text;
        }
    });
}

TEST_F(DirectChannelTest, DestroyedPartnerIsAPeerLostError) {
    std::latch connected(2);
    run_world(2, "lost", [&](PeerChannel& ch) {
        connected.arrive_and_wait();
        if (ch.rank() == 0) return;  // leaves: its channel is destroyed
        std::vector<std::byte> data(8);
        try {
            ch.recv(0, tag(0), data, generous());
            ADD_FAILURE() << "no PeerLostError";
        } catch (const PeerLostError& e) {
            EXPECT_EQ(e.peer(), 0);
            const std::string text = e.what();
            EXPECT_NE(text.find("recv from peer 0 (127.0.0.1:"), std::string::npos) << text;
            EXPECT_NE(text.find("send#0"), std::string::npos) << text;
        }
    });
}

TEST_F(DirectChannelTest, SilentPartnerIsATimeoutWithinTheDeadline) {
    std::latch done(2);
    run_world(2, "silent", [&](PeerChannel& ch) {
        if (ch.rank() == 0) {
            done.arrive_and_wait();  // stays connected, sends nothing
            return;
        }
        std::vector<std::byte> data(8), out(1 << 20);
        Deadline deadline(300ms);
        try {
            ch.recv(0, tag(0), data, deadline);
            ADD_FAILURE() << "no TimeoutError";
        } catch (const TimeoutError& e) {
            EXPECT_EQ(e.allowed(), 300ms);
            EXPECT_GE(e.elapsed(), 300ms);
            EXPECT_LT(e.elapsed(), 300ms + 5s);  // generous
            const std::string text = e.what();
            EXPECT_NE(text.find("received 0 of 8 payload bytes"), std::string::npos) << text;
            EXPECT_NE(text.find("peer 0"), std::string::npos) << text;
        }
        done.arrive_and_wait();
    });
}

TEST_F(DirectChannelTest, SilentPartnerInSendrecvIsATimeout) {
    std::latch done(2);
    run_world(2, "silent-sendrecv", [&](PeerChannel& ch) {
        if (ch.rank() == 0) {
            done.arrive_and_wait();
            return;
        }
        // Larger than the socket buffers can hold: the send cannot finish.
        std::vector<std::byte> out(kLarge / 4), in(16);
        Deadline deadline(300ms);
        try {
            ch.sendrecv(0, out, 0, in, tag(0), deadline);
            ADD_FAILURE() << "no TimeoutError";
        } catch (const TimeoutError& e) {
            EXPECT_GE(e.elapsed(), 300ms);
            EXPECT_LT(e.elapsed(), 300ms + 5s);
            EXPECT_NE(std::string(e.what()).find("received 0 of 16"), std::string::npos) << e.what();
        }
        done.arrive_and_wait();
    });
}

TEST_F(DirectChannelTest, AbortWakesABlockedPartnerAtOnce) {
    std::latch connected(2);
    run_world(2, "abort", [&](PeerChannel& ch) {
        connected.arrive_and_wait();
        std::vector<std::byte> data(8);
        if (ch.rank() == 0) {
            std::this_thread::sleep_for(50ms);  // let peer 1 block in recv
            ch.abort();
            EXPECT_THROW(ch.send(1, tag(0), data, generous()), IoError);
            return;
        }
        Deadline deadline(kGenerous);
        EXPECT_THROW(ch.recv(0, tag(0), data, deadline), PeerLostError);
        EXPECT_LT(deadline.elapsed(), kGenerous / 2);
    });
}

TEST_F(DirectChannelTest, LastMessagesSurviveTheSendersImmediateExit) {
    run_world(2, "last-word", [&](PeerChannel& ch) {
        std::vector<std::byte> small(1001), large(8u << 20);
        if (ch.rank() == 0) {
            fill(small, 1);
            fill(large, 2);
            ch.send(1, tag(0), small, generous());
            ch.send(1, tag(1), large, generous());
            return;  // destroyed right after the last send returned
        }
        std::this_thread::sleep_for(100ms);  // the sender is gone (or going) by now
        ch.recv(0, tag(0), small, generous());
        ch.recv(0, tag(1), large, generous());
        EXPECT_EQ(first_mismatch(small, 1), -1);
        EXPECT_EQ(first_mismatch(large, 2), -1);
    });
}

TEST_F(DirectChannelTest, TwoCommunicatorsWithTheSamePeerIdsRunConcurrently) {
    // "App" and "App1": names that collided in the original FMI.
    auto body_for = [&](std::uint64_t salt) {
        return [&, salt](PeerChannel& ch) {
            const int right = (ch.rank() + 1) % 3, left = (ch.rank() + 2) % 3;
            std::vector<std::byte> out(4096), in(4096);
            for (std::uint64_t step = 0; step < 20; ++step) {
                fill(out, salt * 1000 + step * 10 + ch.rank());
                ch.sendrecv(right, out, left, in, tag(step), generous());
                EXPECT_EQ(first_mismatch(in, salt * 1000 + step * 10 + left), -1);
            }
        };
    };
    std::exception_ptr error;
    std::thread other([&] {
        try {
            run_world(3, "App1", body_for(2));
        } catch (...) {
            error = std::current_exception();
        }
    });
    run_world(3, "App", body_for(1));
    other.join();
    if (error) std::rethrow_exception(error);
}

TEST_F(DirectChannelTest, WorldOfOneNeedsNoServer) {
    DirectOptions o;
    o.rendezvous_port = 0;  // no server configured
    auto ch = connect(0, 1, "solo", o);
    EXPECT_EQ(ch->size(), 1);
    std::vector<std::byte> out(1001), in(1001);
    fill(out, 9);
    ch->sendrecv(0, out, 0, in, tag(0), generous());
    EXPECT_EQ(first_mismatch(in, 9), -1);
    EXPECT_THROW(ch->send(0, tag(1), out, generous()), UsageError);
    EXPECT_THROW(ch->recv(1, tag(1), in, generous()), UsageError);
}

TEST_F(DirectChannelTest, UsageErrorsLeaveTheChannelUsable) {
    run_world(2, "usage", [&](PeerChannel& ch) {
        std::vector<std::byte> data(4);
        EXPECT_THROW(ch.send(2, tag(0), data, generous()), UsageError);
        EXPECT_THROW(ch.recv(-1, tag(0), data, generous()), UsageError);
        EXPECT_THROW(ch.send(ch.rank(), tag(0), data, generous()), UsageError);
        const int other = 1 - ch.rank();
        fill(data, ch.rank());
        std::vector<std::byte> in(4);
        ch.sendrecv(other, data, other, in, tag(0), generous());
        EXPECT_EQ(first_mismatch(in, other), -1);
    });
}

TEST_F(DirectChannelTest, WorldOfNineIsFullyConnected) {
    constexpr int n = 9;
    run_world(n, "nine", [&](PeerChannel& ch) {
        const int me = ch.rank();
        // Everyone sends a small message to everyone, then receives from all.
        for (int j = 0; j < n; ++j) {
            if (j == me) continue;
            std::vector<std::byte> out(37);
            fill(out, me * 100 + j);
            ch.send(j, tag(0), out, generous());
        }
        for (int j = 0; j < n; ++j) {
            if (j == me) continue;
            std::vector<std::byte> in(37);
            ch.recv(j, tag(0), in, generous());
            EXPECT_EQ(first_mismatch(in, j * 100 + me), -1) << me << " from " << j;
        }
        // Shifted exchanges over every distance.
        std::vector<std::byte> out(64 * 1024), in(64 * 1024);
        for (int k = 1; k < n; ++k) {
            const int to = (me + k) % n, from = (me - k + n) % n;
            fill(out, 1000 + k * 10 + me);
            ch.sendrecv(to, out, from, in, tag(static_cast<std::uint64_t>(k), OpKind::scatter), generous());
            EXPECT_EQ(first_mismatch(in, 1000 + k * 10 + from), -1);
        }
    });
}

TEST_F(DirectChannelTest, MissingPartnerIsAConnectTimeout) {
    DirectOptions o = options();
    o.connect_timeout = 300ms;
    Deadline clock(kGenerous);
    try {
        connect(0, 2, "alone", o);
        FAIL() << "connected without a partner";
    } catch (const TimeoutError& e) {
        const std::string text = e.what();
        EXPECT_NE(text.find("communicator 'alone'"), std::string::npos) << text;
        EXPECT_GE(e.elapsed(), 300ms);
        EXPECT_LT(clock.elapsed(), 300ms + 5s);
    }
}

TEST_F(DirectChannelTest, MissingServerIsAConnectTimeoutNamingIt) {
    DirectOptions o = options();
    o.rendezvous_port = server.port();
    server.stop();
    o.connect_timeout = 200ms;
    try {
        connect(0, 2, "no-server", o);
        FAIL() << "connected without a server";
    } catch (const TimeoutError& e) {
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(o.rendezvous_port)), std::string::npos)
            << e.what();
    }
}

TEST_F(DirectChannelTest, WorksOverIPv6) {
    std::unique_ptr<RendezvousServer> v6;
    try {
        RendezvousServerOptions so;
        so.host = "::1";
        v6 = std::make_unique<RendezvousServer>(so);
    } catch (const IoError& e) {
        GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
    }
    DirectOptions o = options();
    o.rendezvous_host = "::1";
    o.rendezvous_port = v6->port();
    o.listen_host = "::";  // wildcard: partners are told our address towards the server
    run_world(3, "v6", o, [&](PeerChannel& ch) {
        const int right = (ch.rank() + 1) % 3, left = (ch.rank() + 2) % 3;
        EXPECT_EQ(dynamic_cast<DirectChannel&>(ch).address_of(right).host, "::1");
        std::vector<std::byte> out(1001), in(1001);
        fill(out, ch.rank());
        ch.sendrecv(right, out, left, in, tag(0), generous());
        EXPECT_EQ(first_mismatch(in, left), -1);
    });
}

/// A hand-written peer 1 that speaks the wire protocol directly: it checks
/// that peer 0 refuses connections for another communicator or peer, and
/// that a correct HELLO and message get through.
TEST_F(DirectChannelTest, ConnectionsForAnotherCommunicatorOrPeerAreRefused) {
    std::vector<std::byte> received(5);
    std::exception_ptr error;
    std::thread real([&] {
        try {
            auto ch = connect(0, 2, "real", options());
            ch->recv(1, tag(0), received, generous());
        } catch (...) {
            error = std::current_exception();
        }
    });
    Deadline deadline(kGenerous);
    rendezvous::RendezvousClient rv({"127.0.0.1", server.port()}, deadline);
    rendezvous::RegisterMessage m;
    m.comm = "real";
    m.peer_id = 1;
    m.peer_count = 2;
    m.endpoints = {{"127.0.0.1", 1}};  // never used: peer 1 accepts nobody
    const Endpoint peer0 = rv.register_and_wait(m, deadline).peers[0].private_endpoints.at(0);

    auto send_all = [&](int fd, const void* data, std::size_t size) {
        ASSERT_EQ(::send(fd, data, size, MSG_NOSIGNAL), static_cast<ssize_t>(size));
    };
    auto refused = [&](const Hello& hello) {
        UniqueFd fd = connect_with_deadline(peer0, deadline, "test");
        const std::string bytes = encode_hello(hello);
        send_all(fd.get(), bytes.data(), bytes.size());
        char c;
        ASSERT_NE(poll_one(fd.get(), POLLIN, deadline), 0);
        EXPECT_EQ(::recv(fd.get(), &c, 1, 0), 0) << "peer 0 answered " << hello.comm << " " << hello.from << "->"
                                                 << hello.to;
    };
    refused({"other", 1, 0});  // another communicator
    refused({"real", 1, 5});   // addressed to another peer
    refused({"real", 0, 0});   // from a peer that should not connect to 0

    UniqueFd fd = connect_with_deadline(peer0, deadline, "test");
    const std::string hello = encode_hello({"real", 1, 0});
    send_all(fd.get(), hello.data(), hello.size());
    std::string answer(kHelloFixedBytes + 4, '\0');
    std::size_t got = 0;
    while (got < answer.size()) {
        ASSERT_NE(poll_one(fd.get(), POLLIN, deadline), 0);
        ssize_t n = ::recv(fd.get(), answer.data() + got, answer.size() - got, 0);
        ASSERT_GT(n, 0);
        got += static_cast<std::size_t>(n);
    }
    EXPECT_EQ(answer, encode_hello({"real", 0, 1}));
    const DataHeaderBytes header = encode_data_header(OpKind::send, 0, 5);
    send_all(fd.get(), header.data(), header.size());
    send_all(fd.get(), "hello", 5);
    ::shutdown(fd.get(), SHUT_WR);
    real.join();
    if (error) std::rethrow_exception(error);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(received.data()), 5), "hello");
}

}  // namespace
}  // namespace fmi::detail::direct
