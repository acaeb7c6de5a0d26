// Authentication (HMAC-SHA256 of the registration under the shared secret)
// and the relay, against a real server on loopback.
#include "rendezvous/auth.hpp"
#include "rendezvous/client.hpp"
#include "rendezvous/server.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <thread>

namespace fmi::detail::rendezvous {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kGenerous{10'000};

std::string hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

// RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
TEST(RendezvousAuth, HmacSha256MatchesRfc4231) {
    EXPECT_EQ(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(RendezvousAuth, MacCoversEveryFieldButAuth) {
    RegisterMessage m{"comm", 1, 2, {{"10.0.0.1", 7}}, ""};
    const std::string mac = registration_mac("s", m);
    EXPECT_EQ(mac.size(), 32u);
    RegisterMessage signed_copy = m;
    signed_copy.auth = mac;
    EXPECT_EQ(registration_mac("s", signed_copy), mac);
    RegisterMessage other = m;
    other.peer_id = 0;
    EXPECT_NE(registration_mac("s", other), mac);
    other = m;
    other.endpoints[0].port = 8;
    EXPECT_NE(registration_mac("s", other), mac);
    EXPECT_NE(registration_mac("t", m), mac);
    EXPECT_TRUE(macs_equal(mac, mac));
    EXPECT_FALSE(macs_equal(mac, mac.substr(0, 31)));
    std::string flipped = mac;
    flipped[31] = static_cast<char>(flipped[31] ^ 1);
    EXPECT_FALSE(macs_equal(mac, flipped));
}

struct SecretServer {
    explicit SecretServer(std::string secret) : server([&] {
        RendezvousServerOptions o;
        o.host = "127.0.0.1";
        o.secret = std::move(secret);
        return o;
    }()) {}
    Endpoint endpoint() const { return {"127.0.0.1", server.port()}; }
    RendezvousServer server;
};

RegisterMessage signed_reg(const std::string& secret, std::string comm, std::uint32_t id, std::uint32_t count) {
    RegisterMessage m{std::move(comm), id, count, {{"10.1.1." + std::to_string(id), 4000}}, ""};
    if (!secret.empty()) m.auth = registration_mac(secret, m);
    return m;
}

ErrorCode register_code(const Endpoint& server, const RegisterMessage& m) {
    Deadline deadline(kGenerous);
    RendezvousClient client(server, deadline);
    try {
        client.register_and_wait(m, deadline);
    } catch (const RendezvousError& e) {
        return e.code();
    }
    ADD_FAILURE() << "registration accepted";
    return ErrorCode::shutting_down;
}

TEST(RendezvousAuth, RightSecretJoinsWrongOneIsRefused) {
    SecretServer s("right");
    EXPECT_EQ(register_code(s.endpoint(), signed_reg("wrong", "c", 0, 2)), ErrorCode::auth_failed);
    EXPECT_EQ(register_code(s.endpoint(), signed_reg("", "c", 0, 2)), ErrorCode::auth_failed);
    RegisterMessage tampered = signed_reg("right", "c", 0, 2);
    tampered.endpoints[0].port = 6666;  // hijack attempt: someone else's MAC, own endpoint
    EXPECT_EQ(register_code(s.endpoint(), tampered), ErrorCode::auth_failed);

    std::thread other([&] {
        Deadline d(kGenerous);
        RendezvousClient c(s.endpoint(), d);
        c.register_and_wait(signed_reg("right", "c", 1, 2), d);
    });
    Deadline d(kGenerous);
    RendezvousClient c(s.endpoint(), d);
    PeersMessage peers = c.register_and_wait(signed_reg("right", "c", 0, 2), d);
    other.join();
    ASSERT_EQ(peers.peers.size(), 2u);
    EXPECT_EQ(peers.peers[1].private_endpoints[0], (Endpoint{"10.1.1.1", 4000}));
}

TEST(RendezvousAuth, ServerWithoutSecretRefusesSignedRegistration) {
    SecretServer s("");
    EXPECT_EQ(register_code(s.endpoint(), signed_reg("x", "c", 0, 1)), ErrorCode::auth_failed);
}

/// Both sides of a relay, each on its own connection to the server.
struct RelaySide {
    RelaySide(const Endpoint& server, const std::string& secret, std::uint32_t from, std::uint32_t to)
        : request{"comm", from, to, ""}, client(server, Deadline(kGenerous)) {
        if (!secret.empty()) request.auth = relay_mac(secret, request);
        client.request_relay(request, Deadline(kGenerous));
    }
    RelayOpenMessage request;
    RendezvousClient client;
};

void send_all(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ASSERT_EQ(poll_one(fd, POLLOUT, Deadline(kGenerous)) & POLLOUT, POLLOUT);
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) sent += static_cast<std::size_t>(n);
    }
}

std::string read_to_eof(int fd) {
    std::string out;
    char buffer[65536];
    for (;;) {
        if (poll_one(fd, POLLIN, Deadline(kGenerous)) == 0) {
            ADD_FAILURE() << "no EOF";
            return out;
        }
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n == 0) return out;
        if (n > 0) out.append(buffer, static_cast<std::size_t>(n));
    }
}

std::string pattern(std::size_t size, int seed) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + static_cast<std::size_t>(seed)) % 251);
    return s;
}

// Several MiB each way at once (more than the relay queues), with half-close
// passed on: each side sees exactly the other's bytes, then EOF.
TEST(RendezvousRelay, CopiesBothWaysAndPassesOnTheEnd) {
    SecretServer s("k");
    RelaySide a(s.endpoint(), "k", 0, 1);
    RelaySide b(s.endpoint(), "k", 1, 0);
    a.client.await_relay(a.request, Deadline(kGenerous));
    b.client.await_relay(b.request, Deadline(kGenerous));
    UniqueFd fa = a.client.release(), fb = b.client.release();
    const std::string from_a = pattern(9u << 20, 1), from_b = pattern((5u << 20) + 3, 2);
    std::string got_a, got_b;
    std::thread reader_b([&] { got_b = read_to_eof(fb.get()); });
    std::thread writer_b([&] {
        send_all(fb.get(), from_b);
        ::shutdown(fb.get(), SHUT_WR);
    });
    send_all(fa.get(), from_a);
    ::shutdown(fa.get(), SHUT_WR);
    got_a = read_to_eof(fa.get());
    writer_b.join();
    reader_b.join();
    EXPECT_TRUE(got_b == from_a) << got_b.size() << " bytes instead of " << from_a.size();
    EXPECT_TRUE(got_a == from_b) << got_a.size() << " bytes instead of " << from_b.size();
}

TEST(RendezvousRelay, WrongSecretIsRefused) {
    SecretServer s("k");
    RelaySide a(s.endpoint(), "not-k", 0, 1);
    try {
        a.client.await_relay(a.request, Deadline(kGenerous));
        ADD_FAILURE() << "relay accepted";
    } catch (const RendezvousError& e) {
        EXPECT_EQ(e.code(), ErrorCode::auth_failed);
    }
}

// Only the two peers of a pair are joined: 0->1 and 0->2 stay waiting, and a
// second 0->1 is refused rather than taking over the first one's place.
TEST(RendezvousRelay, JoinsOnlyTheTwoSidesOfAPair) {
    SecretServer s("");
    RelaySide a(s.endpoint(), "", 0, 1);
    RelaySide c(s.endpoint(), "", 2, 1);
    EXPECT_THROW(a.client.await_relay(a.request, Deadline(milliseconds(300))), TimeoutError);
    RelaySide again(s.endpoint(), "", 0, 1);
    try {
        again.client.await_relay(again.request, Deadline(kGenerous));
        ADD_FAILURE() << "duplicate relay accepted";
    } catch (const RendezvousError& e) {
        EXPECT_EQ(e.code(), ErrorCode::duplicate_peer);
    }
}

}  // namespace
}  // namespace fmi::detail::rendezvous
