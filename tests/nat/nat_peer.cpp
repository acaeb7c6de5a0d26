// Peer program for the NAT test bed (scripts/netns), linked only against the
// direct channel. Reads the environment like fmi_test_peer: FMI_PEER_ID,
// FMI_NUM_PEERS, FMI_COMM, FMI_RENDEZVOUS (host:port), FMI_DIRECT_SECRET,
// FMI_DIRECT_RELAY (auto|force|never), FMI_DIRECT_PUNCH_TIMEOUT_MS,
// FMI_DIRECT_CONNECT_TIMEOUT_MS, FMI_LOG_LEVEL.
//
//   nat_peer exchange        every peer sends every other peer messages of
//                            0, 1, 4099 bytes and 3 MiB + 5 (multi-chunk),
//                            checked byte for byte; exit 0 only if all match
//   nat_peer bandwidth [R]   2 peers: set-up time, then peer 0 sends R
//                            (default 10) 64 MiB messages, checked; prints JSON
#include "channels/direct/direct_channel.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace fmi;
using namespace fmi::detail;
using Clock = std::chrono::steady_clock;

namespace {

std::string env(const char* name, const char* fallback = "") {
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

DirectOptions options_from_environment() {
    DirectOptions o;
    const std::string server = env("FMI_RENDEZVOUS");
    o.rendezvous_host = server.substr(0, server.rfind(':'));
    o.rendezvous_port = static_cast<std::uint16_t>(std::atoi(server.substr(server.rfind(':') + 1).c_str()));
    o.secret = env("FMI_DIRECT_SECRET");
    const std::string relay = env("FMI_DIRECT_RELAY", "auto");
    o.relay = relay == "force" ? DirectOptions::Relay::force
              : relay == "never" ? DirectOptions::Relay::never
                                 : DirectOptions::Relay::automatic;
    o.connect_timeout = std::chrono::milliseconds(std::atoi(env("FMI_DIRECT_CONNECT_TIMEOUT_MS", "30000").c_str()));
    o.punch_timeout = std::chrono::milliseconds(std::atoi(env("FMI_DIRECT_PUNCH_TIMEOUT_MS", "3000").c_str()));
    return o;
}

std::byte expected(std::size_t i, int from, int to) {
    return static_cast<std::byte>((i * 31 + static_cast<std::size_t>(from) * 7 + static_cast<std::size_t>(to)) % 253);
}

int exchange(PeerChannel& ch) {
    const int me = ch.rank(), n = ch.size();
    int bad = 0;
    std::uint64_t seq = 0;
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4099}, std::size_t{(3u << 20) + 5}}) {
        for (int k = 1; k < n; ++k, ++seq) {
            const int to = (me + k) % n, from = (me - k + n) % n;
            std::vector<std::byte> out(size), in(size);
            for (std::size_t i = 0; i < size; ++i) out[i] = expected(i, me, to);
            ch.sendrecv(to, out, from, in, {OpKind::allgather, seq}, Deadline(std::chrono::milliseconds(60'000)));
            for (std::size_t i = 0; i < size; ++i)
                if (in[i] != expected(i, from, me)) {
                    std::fprintf(stderr, "peer %d: byte %zu of %zu from peer %d is wrong\n", me, i, size, from);
                    ++bad;
                    break;
                }
        }
    }
    std::printf("peer %d: exchange with %d partners %s\n", me, n - 1, bad ? "FAILED" : "passed");
    return bad ? 1 : 0;
}

int bandwidth(PeerChannel& ch, int rounds, double setup_ms, const char* relay) {
    const int rank = ch.rank();
    constexpr std::size_t kBytes = 64u << 20;
    std::vector<std::byte> buffer(kBytes);
    for (std::size_t i = 0; i < kBytes; ++i) buffer[i] = static_cast<std::byte>(i % 251);
    std::vector<std::byte> ack(1);
    const Deadline deadline(std::chrono::milliseconds(300'000));
    auto one = [&](std::uint64_t seq) {
        if (rank == 0) ch.send(1, {OpKind::send, seq}, buffer, deadline);
        else if (rank == 1) ch.recv(0, {OpKind::send, seq}, buffer, deadline);
    };
    one(0);  // warm-up: window growth
    const auto t = Clock::now();
    for (int r = 1; r <= rounds; ++r) one(static_cast<std::uint64_t>(r));
    if (rank == 0) ch.recv(1, {OpKind::barrier, 0}, ack, deadline);
    else if (rank == 1) ch.send(0, {OpKind::barrier, 0}, ack, deadline);
    const double seconds = std::chrono::duration<double>(Clock::now() - t).count();
    for (std::size_t i = 0; i < kBytes; i += 4093)
        if (buffer[i] != static_cast<std::byte>(i % 251)) {
            std::fprintf(stderr, "peer %d: corrupt byte at %zu\n", rank, i);
            return 1;
        }
    std::printf("{\"rank\": %d, \"relay\": \"%s\", \"setup_ms\": %.1f, \"bytes\": %zu, \"seconds\": %.3f, "
                "\"MB_per_s\": %.1f}\n",
                rank, relay, setup_ms, kBytes * static_cast<std::size_t>(rounds), seconds,
                static_cast<double>(kBytes) * rounds / seconds / 1e6);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "exchange";
    const int rank = std::atoi(env("FMI_PEER_ID", "0").c_str());
    const int size = std::atoi(env("FMI_NUM_PEERS", "1").c_str());
    const std::string level = env("FMI_LOG_LEVEL", "info");
    try {
        Logger log{level == "debug" ? LogLevel::debug : LogLevel::info, "nat-peer"};
        const auto t0 = Clock::now();
        auto ch = make_direct_channel({rank, size, env("FMI_COMM", "nat")}, options_from_environment(), log);
        const double setup_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        std::printf("peer %d: channel set up in %.1f ms\n", rank, setup_ms);
        if (mode == "bandwidth")
            return bandwidth(*ch, argc > 2 ? std::atoi(argv[2]) : 10, setup_ms, env("FMI_DIRECT_RELAY", "auto").c_str());
        return exchange(*ch);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "peer %d: %s\n", rank, e.what());
        return 1;
    }
}
