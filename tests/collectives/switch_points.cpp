// Measures the p2p algorithms over the real direct TCP channel on loopback,
// to place the switch points of P2POptions (not a test: build the target
// p2p_switch_points and run it by hand; it is not registered with CTest).
//
//   p2p_switch_points PEERS [allreduce|bcast|barrier|exchange] [MIN_BYTES MAX_BYTES]
//
// SEGMENT_BYTES and BCAST_SEGMENT_BYTES in the environment override those
// options. (exchange: one channel sendrecv of n bytes around the ring, the baseline
// the algorithms' overhead is judged against.)
//
// Starts a rendezvous server, spawns PEERS copies of itself as separate
// processes (as fmirun would), and for each message size (powers of two)
// and algorithm times back-to-back operations after a barrier. Prints, per
// row, the slowest peer's mean time per operation in microseconds (the best
// of five repetitions, the algorithms interleaved).
#include "collectives/p2p/allreduce_rabenseifner.hpp"
#include "collectives/p2p/allreduce_recursive_doubling.hpp"
#include "collectives/p2p/allreduce_ring.hpp"
#include "collectives/p2p/barrier_dissemination.hpp"
#include "collectives/p2p/bcast_binomial.hpp"
#include "collectives/p2p/bcast_scatter_allgather.hpp"
#include "core/factories.hpp"
#include "rendezvous/server.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

extern char** environ;

namespace fmi::detail::p2p {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRepetitions = 5;

struct Algorithm {
    const char* name;
    std::function<void(const P2PRun&, MutableBytes in, MutableBytes out)> run;
};

std::vector<Algorithm> algorithms_for(const std::string& collective) {
    static const ReduceFn sum = make_reduce<float>(Op::sum);
    if (collective == "bcast")
        return {{"binomial", [](const P2PRun& r, MutableBytes, MutableBytes out) { bcast_binomial(r, out, 0); }},
                {"scatter_allgather",
                 [](const P2PRun& r, MutableBytes, MutableBytes out) { bcast_scatter_allgather(r, out, 0); }}};
    if (collective == "exchange")  // the channel alone: one sendrecv of n bytes around the ring
        return {{"sendrecv", [](const P2PRun& r, MutableBytes in, MutableBytes out) {
                     r.sendrecv((r.rank() + 1) % r.size(), in, (r.rank() + r.size() - 1) % r.size(), out);
                 }}};
    if (collective == "barrier")
        return {{"dissemination", [](const P2PRun& r, MutableBytes, MutableBytes) { barrier_dissemination(r); }}};
    return {{"recursive_doubling",
             [](const P2PRun& r, MutableBytes in, MutableBytes out) { allreduce_recursive_doubling(r, in, out, sum); }},
            {"rabenseifner",
             [](const P2PRun& r, MutableBytes in, MutableBytes out) { allreduce_rabenseifner(r, in, out, sum); }},
            {"ring", [](const P2PRun& r, MutableBytes in, MutableBytes out) { allreduce_ring(r, in, out, sum); }}};
}

int child(int rank, int peers, std::uint16_t port, const std::string& collective, std::size_t min_bytes,
          std::size_t max_bytes) {
    Logger log(LogLevel::warn, "switch-points");
    DirectOptions options;
    options.rendezvous_host = "127.0.0.1";
    options.rendezvous_port = port;
    options.listen_host = "127.0.0.1";
    auto channel = make_direct_channel({rank, peers, "switch-points"}, options, log);
    P2POptions p2p;
    // Segment sizes to try, from the environment (bytes).
    if (const char* v = std::getenv("SEGMENT_BYTES")) p2p.segment_bytes = std::stoull(v);
    if (const char* v = std::getenv("BCAST_SEGMENT_BYTES")) p2p.bcast_segment_bytes = std::stoull(v);
    ScratchBuffers scratch;
    std::uint64_t seq = 0;
    auto make_run = [&](OpKind op, const Deadline& dl) {
        return P2PRun{*channel, MessageTag{op, seq++}, dl, scratch, p2p};
    };
    auto max_over_peers = [&](double value) {
        Deadline dl(std::chrono::seconds(60));
        static const ReduceFn max = make_reduce<double>(Op::max);
        double out = 0;
        allreduce_recursive_doubling(make_run(OpKind::allreduce, dl), std::as_bytes(std::span(&value, 1)),
                                     std::as_writable_bytes(std::span(&out, 1)), max);
        return out;
    };
    std::vector<std::byte> in(max_bytes ? max_bytes : 1, std::byte{1}), out(max_bytes ? max_bytes : 1);
    if (rank == 0) std::printf("%-10s", "bytes");
    auto algorithms = algorithms_for(collective);
    if (rank == 0) {
        for (auto& a : algorithms) std::printf(" %20s", a.name);
        std::printf("   (us per op, slowest of %d peers)\n", peers);
    }
    for (std::size_t bytes = min_bytes; bytes <= max_bytes; bytes = bytes ? bytes * 2 : 8) {
        if (rank == 0) std::printf("%-10zu", bytes);
        // Repetitions interleave the algorithms, so background load hits
        // them alike; the minimum is the least disturbed repetition.
        const int iterations = static_cast<int>(std::clamp<std::size_t>(
            (64u << 20) / std::max<std::size_t>(bytes, 1) / static_cast<std::size_t>(peers), 3, 500));
        std::vector<double> best(algorithms.size(), 1e300);
        for (int rep = 0; rep < kRepetitions; ++rep) {
            for (std::size_t i = 0; i < algorithms.size(); ++i) {
                auto& a = algorithms[i];
                Deadline dl(std::chrono::seconds(600));
                barrier_dissemination(make_run(OpKind::barrier, dl));
                a.run(make_run(OpKind::allreduce, dl), MutableBytes(in.data(), bytes), MutableBytes(out.data(), bytes));  // warm-up
                auto start = Clock::now();
                for (int k = 0; k < iterations; ++k)
                    a.run(make_run(OpKind::allreduce, dl), MutableBytes(in.data(), bytes),
                          MutableBytes(out.data(), bytes));
                double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / iterations;
                best[i] = std::min(best[i], max_over_peers(us));
            }
        }
        if (rank == 0)
            for (double us : best) std::printf(" %20.1f", us);
        if (rank == 0) {
            std::printf("\n");
            std::fflush(stdout);
        }
        if (bytes == 0 && max_bytes == 0) break;
    }
    return 0;
}

int parent(int argc, char** argv) {
    int peers = std::stoi(argv[1]);
    std::string collective = argc > 2 ? argv[2] : "allreduce";
    std::string min_bytes = argc > 3 ? argv[3] : "8", max_bytes = argc > 4 ? argv[4] : std::to_string(64u << 20);
    RendezvousServerOptions server_options;
    server_options.host = "127.0.0.1";
    RendezvousServer server(server_options);
    std::string port = std::to_string(server.port());
    std::vector<pid_t> children;
    for (int r = 0; r < peers; ++r) {
        std::string rank = std::to_string(r), n = std::to_string(peers);
        std::vector<char*> args{argv[0], const_cast<char*>("--child"), rank.data(), n.data(), port.data(),
                                collective.data(), min_bytes.data(), max_bytes.data(), nullptr};
        pid_t pid = 0;
        if (posix_spawn(&pid, argv[0], nullptr, nullptr, args.data(), environ) != 0) {
            std::perror("posix_spawn");
            return 1;
        }
        children.push_back(pid);
    }
    int failures = 0;
    for (pid_t pid : children) {
        int status = 0;
        waitpid(pid, &status, 0);
        failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    return failures ? 1 : 0;
}

}  // namespace
}  // namespace fmi::detail::p2p

int main(int argc, char** argv) {
    try {
        if (argc >= 8 && std::strcmp(argv[1], "--child") == 0)
            return fmi::detail::p2p::child(std::stoi(argv[2]), std::stoi(argv[3]), static_cast<std::uint16_t>(std::stoi(argv[4])),
                                      argv[5], std::stoull(argv[6]), std::stoull(argv[7]));
        if (argc < 2) {
            std::fprintf(stderr, "usage: %s PEERS [allreduce|bcast|barrier|exchange] [MIN_BYTES MAX_BYTES]\n", argv[0]);
            return 2;
        }
        return fmi::detail::p2p::parent(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "p2p_switch_points: %s\n", e.what());
        return 1;
    }
}
