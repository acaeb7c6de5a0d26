// The rendezvous server and client over real sockets on loopback: many
// concurrent communicators, silent clients, refusals, expiry, bounds, and
// the fmi-rendezvous command-line tool.
#include "rendezvous/client.hpp"
#include "rendezvous/server.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace fmi::detail::rendezvous {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// A generous bound for waits that should end quickly.
constexpr milliseconds kGenerous{10'000};

RendezvousServerOptions loopback_options() {
    RendezvousServerOptions o;
    o.host = "127.0.0.1";
    return o;
}

struct TestServer {
    explicit TestServer(RendezvousServerOptions options = loopback_options()) : server(std::move(options)) {}
    Endpoint endpoint() const { return {"127.0.0.1", server.port()}; }
    RendezvousServer server;
};

RegisterMessage reg(const std::string& comm, std::uint32_t id, std::uint32_t count) {
    RegisterMessage m;
    m.comm = comm;
    m.peer_id = id;
    m.peer_count = count;
    m.endpoints = {{"10.9." + std::to_string(id % 256) + ".1", static_cast<std::uint16_t>(3000 + id)}};
    return m;
}

/// Runs `body` and returns the code of the RendezvousError it throws.
ErrorCode refusal(auto&& body) {
    try {
        body();
    } catch (const RendezvousError& e) {
        return e.code();
    }
    ADD_FAILURE() << "no RendezvousError";
    return ErrorCode::shutting_down;
}

PeersMessage join(const Endpoint& server, const RegisterMessage& m, milliseconds allowed = kGenerous) {
    Deadline deadline(allowed);
    RendezvousClient client(server, deadline);
    return client.register_and_wait(m, deadline);
}

/// join() on its own thread, for registrations that race each other.
struct AsyncJoin {
    AsyncJoin(const Endpoint& server, RegisterMessage m) {
        thread = std::thread([this, server, m] {
            try {
                answer = join(server, m);
            } catch (const RendezvousError& e) {
                code = e.code();
                text = e.what();
            } catch (const std::exception& e) {
                text = e.what();
            }
            finished = true;
        });
    }
    ~AsyncJoin() { wait(); }
    void wait() {
        if (thread.joinable()) thread.join();
    }
    std::thread thread;
    std::atomic<bool> finished{false};
    std::optional<PeersMessage> answer;
    std::optional<ErrorCode> code;
    std::string text;
};

/// The first of two racing registrations to end (the refused one, when the
/// other is left waiting for partners).
AsyncJoin& first_finished(AsyncJoin& a, AsyncJoin& b) {
    Deadline deadline(kGenerous);
    while (!a.finished && !b.finished) {
        if (deadline.expired()) throw std::runtime_error("neither registration ended");
        std::this_thread::sleep_for(1ms);
    }
    return a.finished ? a : b;
}

/// Reads the ERROR the server sends on a raw connection.
ErrorMessage read_error(RendezvousClient& client) {
    auto frame = client.read_frame(Deadline(kGenerous), "waiting for an ERROR");
    EXPECT_EQ(frame.type, static_cast<std::uint16_t>(MessageType::error));
    return decode_error(frame.payload);
}

/// A port on which connections are refused: bound, not listening.
struct RefusingPort {
    RefusingPort() : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        port = local_endpoint(fd.get()).port;
    }
    UniqueFd fd;
    std::uint16_t port = 0;
};

TEST(RendezvousServer, SixtyCommunicatorsOfEightPeersRegisterConcurrently) {
    TestServer server;
    constexpr int kComms = 60, kPeers = 8;
    struct Result {
        PeersMessage answer;
        Endpoint local;
        std::string error;
    };
    std::vector<Result> results(kComms * kPeers);
    auto private_of = [](int c, int p) {
        return Endpoint{"10." + std::to_string(c) + "." + std::to_string(p) + ".1",
                        static_cast<std::uint16_t>(1000 + c * 10 + p)};
    };
    std::vector<std::thread> threads;
    for (int c = 0; c < kComms; ++c)
        for (int p = 0; p < kPeers; ++p)
            threads.emplace_back([&, c, p] {
                Result& r = results[c * kPeers + p];
                try {
                    Deadline deadline(milliseconds(60'000));
                    RendezvousClient client(server.endpoint(), deadline);
                    r.local = client.local_endpoint();
                    RegisterMessage m;
                    m.comm = "comm-" + std::to_string(c);
                    m.peer_id = static_cast<std::uint32_t>(p);
                    m.peer_count = kPeers;
                    m.endpoints = {private_of(c, p)};
                    r.answer = client.register_and_wait(m, deadline);
                } catch (const std::exception& e) {
                    r.error = e.what();
                }
            });
    for (auto& t : threads) t.join();
    for (int c = 0; c < kComms; ++c) {
        for (int p = 0; p < kPeers; ++p) {
            const Result& r = results[c * kPeers + p];
            ASSERT_EQ(r.error, "") << "comm " << c << " peer " << p;
            EXPECT_EQ(r.answer.comm, "comm-" + std::to_string(c));
            ASSERT_EQ(r.answer.peers.size(), static_cast<std::size_t>(kPeers));
            for (int q = 0; q < kPeers; ++q) {
                EXPECT_EQ(r.answer.peers[q].id, static_cast<std::uint32_t>(q));
                EXPECT_EQ(r.answer.peers[q].private_endpoints, std::vector<Endpoint>{private_of(c, q)});
            }
            // The server reports each client's address as it saw it.
            EXPECT_EQ(r.answer.peers[p].public_endpoint, r.local);
        }
    }
}

TEST(RendezvousServer, SilentAndHalfSentClientsDoNotDelayOthers) {
    TestServer server;
    Deadline deadline(kGenerous);
    // One connects and says nothing; one sends 3 bytes of a header; one
    // announces a 100-byte frame and sends 10 bytes of it.
    RendezvousClient silent(server.endpoint(), deadline);
    RendezvousClient partial_header(server.endpoint(), deadline);
    const Bytes three = {0, 0, 0};
    partial_header.send_frame(three, deadline);
    RendezvousClient partial_body(server.endpoint(), deadline);
    Bytes body = {0, 0, 0, 100, 0, 1, 0, 1, 0, 0};
    partial_body.send_frame(body, deadline);

    std::vector<PeersMessage> answers(3);
    std::vector<std::thread> threads;
    for (std::uint32_t p = 0; p < 3; ++p)
        threads.emplace_back([&, p] { answers[p] = join(server.endpoint(), reg("quick", p, 3)); });
    for (auto& t : threads) t.join();
    for (const auto& a : answers) EXPECT_EQ(a.peers.size(), 3u);
}

TEST(RendezvousServer, CountDisagreementIsRefusedAndTheFirstCountStillCompletes) {
    TestServer server;
    // The two race; whichever registers second is refused.
    AsyncJoin two(server.endpoint(), reg("c", 0, 2));
    AsyncJoin three(server.endpoint(), reg("c", 1, 3));
    AsyncJoin& refused = first_finished(two, three);
    AsyncJoin& waiting = &refused == &two ? three : two;
    ASSERT_EQ(refused.code, ErrorCode::count_mismatch) << refused.text;
    EXPECT_NE(refused.text.find("registered with 2"), std::string::npos) << refused.text;
    EXPECT_NE(refused.text.find("registered with 3"), std::string::npos) << refused.text;
    // Complete the survivor's communicator with its count.
    if (&waiting == &two) {
        EXPECT_EQ(join(server.endpoint(), reg("c", 1, 2)).peers.size(), 2u);
    } else {
        AsyncJoin peer2(server.endpoint(), reg("c", 2, 3));
        EXPECT_EQ(join(server.endpoint(), reg("c", 0, 3)).peers.size(), 3u);
        peer2.wait();
        EXPECT_TRUE(peer2.answer) << peer2.text;
    }
    waiting.wait();
    ASSERT_TRUE(waiting.answer) << waiting.text;
}

TEST(RendezvousServer, DuplicatePeerIsRefused) {
    TestServer server;
    AsyncJoin a(server.endpoint(), reg("dup", 0, 2));
    AsyncJoin b(server.endpoint(), reg("dup", 0, 2));
    AsyncJoin& refused = first_finished(a, b);
    AsyncJoin& waiting = &refused == &a ? b : a;
    EXPECT_EQ(refused.code, ErrorCode::duplicate_peer) << refused.text;
    EXPECT_EQ(join(server.endpoint(), reg("dup", 1, 2)).peers.size(), 2u);
    waiting.wait();
    EXPECT_TRUE(waiting.answer) << waiting.text;
}

TEST(RendezvousServer, RestartedPeerReRegistersAfterItsCrash) {
    TestServer server;
    Deadline deadline(kGenerous);
    {
        RendezvousClient crashed(server.endpoint(), deadline);
        crashed.send_frame(encode(reg("restart", 0, 2)), deadline);
    }  // connection closed: the "crash"
    // Connections are served in the order they were made, and the server
    // reads the crashed one up to its EOF at once, so its registration is
    // dropped before the restarted peer's frame is read. Without the drop,
    // the restarted peer 0 would be refused as a duplicate.
    RendezvousClient restarted(server.endpoint(), deadline);
    restarted.send_frame(encode(reg("restart", 0, 2)), deadline);
    PeersMessage answer = join(server.endpoint(), reg("restart", 1, 2));
    auto frame = restarted.read_frame(deadline, "PEERS");
    ASSERT_EQ(frame.type, static_cast<std::uint16_t>(MessageType::peers))
        << decode_error(frame.payload).text;
    EXPECT_EQ(decode_peers(frame.payload), answer);
    EXPECT_EQ(answer.peers[0].public_endpoint, restarted.local_endpoint());
}

TEST(RendezvousServer, IncompleteCommunicatorExpires) {
    auto options = loopback_options();
    options.registration_ttl = 200ms;
    TestServer server(options);
    Deadline deadline(kGenerous);
    EXPECT_EQ(refusal([&] { join(server.endpoint(), reg("late", 0, 2)); }), ErrorCode::expired);
    EXPECT_GE(deadline.elapsed(), 200ms);
    EXPECT_LT(deadline.elapsed(), kGenerous);
}

TEST(RendezvousServer, CompletedCommunicatorNameIsReusable) {
    TestServer server;
    EXPECT_EQ(join(server.endpoint(), reg("again", 0, 1)).peers.size(), 1u);
    // No state left: the same name with another count is a new communicator.
    std::thread other([&] { EXPECT_EQ(join(server.endpoint(), reg("again", 1, 2)).peers.size(), 2u); });
    EXPECT_EQ(join(server.endpoint(), reg("again", 0, 2)).peers.size(), 2u);
    other.join();
}

TEST(RendezvousServer, PeerBoundsAreEnforced) {
    auto options = loopback_options();
    options.max_peers_per_communicator = 4;
    options.max_communicators = 1;
    TestServer server(options);
    EXPECT_EQ(refusal([&] { join(server.endpoint(), reg("big", 0, 5)); }), ErrorCode::too_many_peers);
    EXPECT_EQ(refusal([&] { join(server.endpoint(), reg("bad", 2, 2)); }), ErrorCode::bad_peer);
    EXPECT_EQ(refusal([&] { join(server.endpoint(), reg("", 0, 2)); }), ErrorCode::bad_name);
    // Two incomplete communicators with room for one: the later is refused.
    AsyncJoin one(server.endpoint(), reg("one", 0, 2));
    AsyncJoin two(server.endpoint(), reg("two", 0, 2));
    AsyncJoin& refused = first_finished(one, two);
    AsyncJoin& waiting = &refused == &one ? two : one;
    EXPECT_EQ(refused.code, ErrorCode::too_many_communicators) << refused.text;
    const std::string name = &waiting == &one ? "one" : "two";
    EXPECT_EQ(join(server.endpoint(), reg(name, 1, 2)).peers.size(), 2u);
    waiting.wait();
    EXPECT_TRUE(waiting.answer) << waiting.text;
}

TEST(RendezvousServer, ClientBoundIsEnforced) {
    auto options = loopback_options();
    options.max_clients = 2;
    TestServer server(options);
    Deadline deadline(kGenerous);
    RendezvousClient a(server.endpoint(), deadline), b(server.endpoint(), deadline);
    // Accepted in order: the third connection is over the limit.
    EXPECT_EQ(refusal([&] { join(server.endpoint(), reg("x", 0, 2)); }), ErrorCode::too_many_clients);
}

TEST(RendezvousServer, MessageSizeBoundIsEnforced) {
    auto options = loopback_options();
    options.max_message_bytes = 128;
    TestServer server(options);
    RegisterMessage big = reg("big", 0, 2);
    for (int i = 0; i < 10; ++i) big.endpoints.push_back({std::string(30, 'h'), 1});
    EXPECT_EQ(refusal([&] { join(server.endpoint(), big); }), ErrorCode::message_too_large);

    // Refused from the length field alone: the body is never sent.
    Deadline deadline(kGenerous);
    RendezvousClient raw(server.endpoint(), deadline);
    const Bytes header = {0x7f, 0xff, 0xff, 0xff};
    raw.send_frame(header, deadline);
    EXPECT_EQ(read_error(raw).code, ErrorCode::message_too_large);
}

TEST(RendezvousServer, BadFramesGetErrorsNotCrashes) {
    TestServer server;
    struct Case {
        Bytes frame;
        ErrorCode expected;
    };
    const Bytes garbage = {1, 2, 3};
    const std::vector<Case> cases = {
        {encode_frame(999, {}), ErrorCode::unsupported_type},
        {encode_frame(static_cast<std::uint16_t>(MessageType::punch_request), {}), ErrorCode::unsupported_type},
        {encode_frame(static_cast<std::uint16_t>(MessageType::peers), {}), ErrorCode::unsupported_type},
        {encode_frame(static_cast<std::uint16_t>(MessageType::register_peer), garbage), ErrorCode::malformed},
        {encode_frame(static_cast<std::uint16_t>(MessageType::register_peer), garbage, 7), ErrorCode::bad_version},
        {Bytes{0, 0, 0, 1, 0}, ErrorCode::malformed},
    };
    for (const Case& c : cases) {
        Deadline deadline(kGenerous);
        RendezvousClient raw(server.endpoint(), deadline);
        raw.send_frame(c.frame, deadline);
        EXPECT_EQ(read_error(raw).code, c.expected);
        // After an ERROR the server closes the connection.
        EXPECT_THROW(raw.read_frame(deadline, "EOF"), IoError);
    }
    // Still serving.
    EXPECT_EQ(join(server.endpoint(), reg("after", 0, 1)).peers.size(), 1u);
}

TEST(RendezvousServer, SecondRegisterOnOneConnectionIsRefused) {
    TestServer server;
    Deadline deadline(kGenerous);
    RendezvousClient raw(server.endpoint(), deadline);
    raw.send_frame(encode(reg("first", 0, 2)), deadline);
    raw.send_frame(encode(reg("second", 0, 2)), deadline);
    EXPECT_EQ(read_error(raw).code, ErrorCode::already_registered);
}

TEST(RendezvousServer, IdleClientIsDisconnected) {
    auto options = loopback_options();
    options.idle_timeout = 200ms;
    TestServer server(options);
    Deadline deadline(kGenerous);
    RendezvousClient silent(server.endpoint(), deadline);
    EXPECT_EQ(read_error(silent).code, ErrorCode::idle);
    EXPECT_GE(deadline.elapsed(), 200ms);
}

TEST(RendezvousServer, StopTellsWaitingClients) {
    TestServer server;
    Deadline deadline(kGenerous);
    RendezvousClient waiter(server.endpoint(), deadline);
    waiter.send_frame(encode(reg("w", 0, 2)), deadline);
    // Connections are accepted in order: once a later client got its answer,
    // the waiter's connection is being served.
    EXPECT_EQ(join(server.endpoint(), reg("sync", 0, 1)).peers.size(), 1u);
    server.server.stop();
    EXPECT_EQ(read_error(waiter).code, ErrorCode::shutting_down);
}

TEST(RendezvousClient, ConnectTimesOutNamingTheServer) {
    RefusingPort refusing;
    Deadline deadline(300ms);
    try {
        RendezvousClient client({"127.0.0.1", refusing.port}, deadline);
        FAIL() << "connected to a port nobody listens on";
    } catch (const TimeoutError& e) {
        const std::string text = e.what();
        EXPECT_NE(text.find("127.0.0.1:" + std::to_string(refusing.port)), std::string::npos) << text;
        EXPECT_NE(text.find("refused"), std::string::npos) << text;
        EXPECT_GE(e.elapsed(), 300ms);
        EXPECT_EQ(e.allowed(), 300ms);
    }
}

TEST(RendezvousClient, ConnectRetriesUntilTheServerStarts) {
    auto refusing = std::make_unique<RefusingPort>();
    const std::uint16_t port = refusing->port;
    std::optional<PeersMessage> answer;
    std::string error;
    std::thread client([&] {
        try {
            answer = join({"127.0.0.1", port}, reg("early", 0, 1));
        } catch (const std::exception& e) {
            error = e.what();
        }
    });
    std::this_thread::sleep_for(200ms);  // the client meets refusals meanwhile
    refusing.reset();
    auto options = loopback_options();
    options.port = port;
    TestServer server(options);
    client.join();
    EXPECT_EQ(error, "");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->peers.size(), 1u);
}

#ifdef FMI_RENDEZVOUS_BINARY
/// The tool as a child process, killed on scope exit if still running.
struct ServerProcess {
    pid_t pid = -1;
    UniqueFd out;
    ~ServerProcess() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
    int wait_exit() {
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
        return status;
    }
};

TEST(RendezvousTool, ServesUntilSigterm) {
    int pipefd[2];
    ASSERT_EQ(::pipe2(pipefd, O_CLOEXEC), 0);
    ServerProcess child;
    child.pid = ::fork();
    ASSERT_GE(child.pid, 0);
    if (child.pid == 0) {
        ::dup2(pipefd[1], STDOUT_FILENO);
        const char* argv[] = {FMI_RENDEZVOUS_BINARY, "--host", "127.0.0.1", "--port", "0", "--ttl-ms", "5000",
                              nullptr};
        ::execv(argv[0], const_cast<char* const*>(argv));
        ::_exit(127);
    }
    ::close(pipefd[1]);
    child.out = UniqueFd(pipefd[0]);
    // Read the "listening on" line.
    std::string line;
    Deadline deadline(kGenerous);
    while (line.find('\n') == std::string::npos) {
        ASSERT_NE(poll_one(child.out.get(), POLLIN, deadline), 0) << "no output from the tool";
        char buffer[256];
        ssize_t n = ::read(child.out.get(), buffer, sizeof buffer);
        ASSERT_GT(n, 0);
        line.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string prefix = "fmi-rendezvous listening on 127.0.0.1:";
    ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
    const auto port = static_cast<std::uint16_t>(std::stoi(line.substr(prefix.size())));
    EXPECT_EQ(join({"127.0.0.1", port}, reg("tool", 0, 1)).peers.size(), 1u);
    ::kill(child.pid, SIGTERM);
    const int status = child.wait_exit();
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}
#endif

}  // namespace
}  // namespace fmi::detail::rendezvous
