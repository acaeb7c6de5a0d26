// Benchmark of the Redis channel against its floor and against a polling
// design like the original FMI's, all measured in the same run on the same
// server.
//
//   floor     one GET round trip from a hiredis client; a raw LPUSH -> BLPOP
//             hand-off between two clients (one way); redis-benchmark
//             throughput of 1 MiB SET and GET values (one client)
//   p2p       8 B ping-pong (one way = half the round trip); 64 MiB and
//             1 MiB send + 1 B ack (bandwidth)
//   collectives  allreduce 8 B and 1 MiB, bcast 1 MiB, barrier at 2, 4 and
//             8 peers: back-to-back operations, the slowest peer
//   polling   the same 8 B p2p and allreduce over GET-and-sleep-1-ms
//
// Every time is given twice: p50, the median single operation, and mean, the
// median over 5 blocks of a block's mean per operation. On a quiet machine
// they agree; on a shared one the mean also carries the scheduling stalls.
// Bandwidths are the median of repeated transfers.
//
// Peers are threads, each with its own connection. Without --port the
// program starts its own redis-server on a free loopback port.
//
//   fmi_redis_bench [--port P [--host H] [--password X]] [--peers 2,4,8]
//                   [--chunk BYTES] [--only TEXT] [--quick] [--json FILE]
//
// --only runs the measures whose name contains TEXT (e.g. "64 MiB").
#include "polling_baseline.hpp"
#include "redis_harness.hpp"  // RedisServer, Peer, run_all (tests/redis)

#include <fmi/ops.hpp>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

namespace fmi::bench {
namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
using test::Peer;

constexpr int kBlocks = 5;

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

/// Seconds per operation: the median single operation and the median
/// block mean (see the top of the file).
struct Timing {
    double p50 = 0;
    double mean = 0;
};

/// Durations of one peer's operations, in the order they ran.
Timing summarize(const std::vector<double>& samples) {
    Timing t;
    t.p50 = median(samples);
    std::vector<double> blocks;
    std::size_t per_block = std::max<std::size_t>(1, samples.size() / kBlocks);
    for (std::size_t at = 0; at + per_block <= samples.size(); at += per_block) {
        double sum = 0;
        for (std::size_t i = at; i < at + per_block; ++i) sum += samples[i];
        blocks.push_back(sum / per_block);
    }
    t.mean = median(blocks);
    return t;
}

/// The slowest peer's timing.
Timing slowest(const std::vector<std::vector<double>>& per_peer) {
    Timing worst;
    for (const auto& samples : per_peer) {
        Timing t = summarize(samples);
        worst.p50 = std::max(worst.p50, t.p50);
        worst.mean = std::max(worst.mean, t.mean);
    }
    return worst;
}

struct Settings {
    RedisOptions redis;
    std::vector<int> peers{2, 4, 8};
    bool quick = false;
    std::string only;  // run only the measures whose name contains this
    std::string json;
};

class Report {
public:
    void add(const std::string& measure, int peers, double value, const std::string& unit) {
        std::printf("%-46s %2d peers  %10.1f %s\n", measure.c_str(), peers, value, unit.c_str());
        std::fflush(stdout);
        rows_.push_back("{\"measure\": \"" + measure + "\", \"peers\": " + std::to_string(peers) +
                        ", \"value\": " + std::to_string(value) + ", \"unit\": \"" + unit + "\"}");
    }
    /// A timing in `unit` per second (1e6: us, 1e3: ms).
    void add(const std::string& measure, int peers, Timing t, double scale, const std::string& unit) {
        add(measure + " p50", peers, t.p50 * scale, unit);
        add(measure + " mean", peers, t.mean * scale, unit);
    }
    void write_json(const std::string& path) const {
        std::ofstream out(path);
        out << "[\n";
        for (std::size_t i = 0; i < rows_.size(); ++i) out << "  " << rows_[i] << (i + 1 < rows_.size() ? ",\n" : "\n");
        out << "]\n";
    }

private:
    std::vector<std::string> rows_;
};

// ---- the floor ------------------------------------------------------------------

Timing hiredis_round_trip(const RedisOptions& o, int iterations) {
    detail::redis::Connection c(o);
    detail::Deadline d(60s);
    c.command({"SET", "bench:floor", "12345678"}, "SET", d);
    std::vector<double> samples;
    for (int i = 0; i < iterations; ++i) {
        auto t = clock_type::now();
        c.command({"GET", "bench:floor"}, "GET", d);
        samples.push_back(seconds_since(t));
    }
    c.command({"DEL", "bench:floor"}, "DEL", d);
    return summarize(samples);
}

/// One way of a raw blocking hand-off between two clients: LPUSH by one,
/// BLPOP by the other, ping-pong (the least any blocking design can take).
Timing handoff_one_way(const RedisOptions& o, int iterations) {
    std::barrier ready(2);
    std::vector<double> samples;
    auto side = [&](int me) {
        detail::redis::Connection c(o);
        detail::Deadline d(120s);
        std::string mine = "bench:handoff:" + std::to_string(me), theirs = "bench:handoff:" + std::to_string(1 - me);
        ready.arrive_and_wait();
        for (int i = 0; i < iterations; ++i) {
            auto t = clock_type::now();
            if (me == 0) c.command({"LPUSH", theirs, "12345678"}, "LPUSH", d);
            c.append({"BLPOP", mine, "10"}, detail::redis::Connection::Use::keep, "BLPOP", true);
            c.reply(d);
            if (me == 1) c.command({"LPUSH", theirs, "12345678"}, "LPUSH", d);
            if (me == 0) samples.push_back(seconds_since(t) / 2);
        }
    };
    std::thread other(side, 1);
    side(0);
    other.join();
    return summarize(samples);
}

/// MB/s of redis-benchmark's 1 MiB SET and GET with one client.
std::optional<std::pair<double, double>> redis_benchmark_mb_s(const RedisOptions& o, int requests) {
    std::string cmd = "redis-benchmark -h " + o.host + " -p " + std::to_string(o.port) +
                      (o.password.empty() ? "" : " -a '" + o.password + "'") + " -t set,get -d 1048576 -c 1 -n " +
                      std::to_string(requests) + " -q 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
    if (!pipe) return std::nullopt;
    std::optional<double> set, get;
    char line[512];
    while (std::fgets(line, sizeof line, pipe.get())) {
        std::string s(line);
        if (auto cr = s.rfind('\r'); cr != std::string::npos) s = s.substr(cr + 1);  // -q progress lines
        auto mb_s = [&] { return std::stod(s.substr(s.find(':') + 1)) * 1.048576; };  // requests of 1 MiB -> MB
        if (s.rfind("SET:", 0) == 0) set = mb_s();
        if (s.rfind("GET:", 0) == 0) get = mb_s();
    }
    if (!set || !get) return std::nullopt;
    return std::make_pair(*set, *get);
}

// ---- fmi over Redis -------------------------------------------------------------------

Timing p2p_one_way(const Settings& s, int iterations) {
    std::vector<double> samples;
    test::run_all(2, test::unique_comm("bench-lat"), s.redis, [&](Peer& p) {
        std::vector<char> msg(8, 'x');
        for (int i = -20; i < iterations; ++i) {  // 20 to warm up
            auto t = clock_type::now();
            if (p.rank() == 0) {
                p.send(msg, 1);
                p.recv(msg, 1);
            } else {
                p.recv(msg, 0);
                p.send(msg, 0);
            }
            if (p.rank() == 0 && i >= 0) samples.push_back(seconds_since(t) / 2);
        }
        p.finalize();
    }, 60s);
    return summarize(samples);
}

double p2p_bandwidth_mb_s(const Settings& s, std::size_t bytes, int reps) {
    std::vector<double> mb_s;
    test::run_all(2, test::unique_comm("bench-bw"), s.redis, [&](Peer& p) {
        std::vector<char> buf(bytes, static_cast<char>(p.rank()));  // touched once, reused
        std::vector<char> ack(1);
        for (int r = 0; r <= reps; ++r) {  // r == 0 warms up
            auto t = clock_type::now();
            if (p.rank() == 0) {
                p.send(buf, 1);
                p.recv(ack, 1);
            } else {
                p.recv(buf, 0);
                p.send(ack, 0);
            }
            if (p.rank() == 0 && r > 0) mb_s.push_back(bytes / seconds_since(t) / 1e6);
        }
        p.finalize();
    }, 120s);
    return median(mb_s);
}

/// Runs `iterations` back-to-back operations on every peer (after a warm-up
/// and a barrier) and times each.
template <class Op>
Timing collective(int peers, const Settings& s, const std::string& stem, int iterations, Op op) {
    std::vector<std::vector<double>> per_peer(peers);
    test::run_all(peers, test::unique_comm(stem), s.redis, [&](Peer& p) {
        for (int i = 0; i < 3; ++i) op(p);
        p.barrier();
        for (int i = 0; i < iterations; ++i) {
            auto t = clock_type::now();
            op(p);
            per_peer[p.rank()].push_back(seconds_since(t));
        }
        p.finalize();
    }, 300s);
    return slowest(per_peer);
}

Timing allreduce(int peers, const Settings& s, std::size_t bytes, int iterations) {
    ReduceFn sum = make_reduce<std::int64_t>(Op::sum);
    std::vector<std::vector<std::int64_t>> in(peers), out(peers);
    for (int r = 0; r < peers; ++r) {
        in[r].assign(bytes / 8, r);
        out[r].assign(bytes / 8, 0);
    }
    return collective(peers, s, "bench-allreduce", iterations, [&](Peer& p) {
        p.allreduce(in[p.rank()], out[p.rank()], sum);
        if (out[p.rank()][0] != std::int64_t(p.size()) * (p.size() - 1) / 2)
            throw std::runtime_error("allreduce: wrong sum");
    });
}

Timing bcast(int peers, const Settings& s, std::size_t bytes, int iterations) {
    std::vector<std::vector<char>> data(peers, std::vector<char>(bytes, 'b'));
    return collective(peers, s, "bench-bcast", iterations, [&](Peer& p) { p.bcast(data[p.rank()], 0); });
}

Timing barrier(int peers, const Settings& s, int iterations) {
    return collective(peers, s, "bench-barrier", iterations, [](Peer& p) { p.barrier(); });
}

// ---- the polling design -------------------------------------------------------------------

/// Runs body(peer, rank) on `peers` threads, each with its own PollingPeer.
void run_polling(int peers, const Settings& s, const std::function<void(PollingPeer&, int)>& body) {
    std::string comm = test::unique_comm("bench-poll");
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(peers);
    for (int r = 0; r < peers; ++r)
        threads.emplace_back([&, r] {
            try {
                PollingPeer peer(s.redis, r, peers, comm);
                body(peer, r);
            } catch (...) {
                errors[r] = std::current_exception();
            }
        });
    for (auto& t : threads) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

Timing polling_one_way(const Settings& s, int iterations) {
    std::vector<double> samples;
    run_polling(2, s, [&](PollingPeer& p, int rank) {
        std::vector<std::byte> msg(8);
        for (int i = 0; i < iterations; ++i) {
            auto t = clock_type::now();
            auto seq = static_cast<std::uint64_t>(i);
            if (rank == 0) {
                p.send(msg, 1, seq);
                p.recv(msg, 1, seq);
            } else {
                p.recv(msg, 0, seq);
                p.send(msg, 0, seq);
            }
            if (rank == 0) samples.push_back(seconds_since(t) / 2);
        }
    });
    return summarize(samples);
}

Timing polling_allreduce(int peers, const Settings& s, int iterations) {
    std::vector<std::vector<double>> per_peer(peers);
    std::barrier sync(peers);
    run_polling(peers, s, [&](PollingPeer& p, int rank) {
        sync.arrive_and_wait();
        for (int i = 0; i < iterations; ++i) {
            auto t = clock_type::now();
            if (p.allreduce_sum(rank, static_cast<std::uint64_t>(i)) != std::int64_t(peers) * (peers - 1) / 2)
                throw std::runtime_error("polling allreduce: wrong sum");
            per_peer[rank].push_back(seconds_since(t));
        }
        sync.arrive_and_wait();
        if (rank == 0) p.cleanup(static_cast<std::uint64_t>(iterations));
    });
    return slowest(per_peer);
}

// ---- main -------------------------------------------------------------------------------

Settings parse(int argc, char** argv) {
    Settings s;
    s.redis.key_prefix = "fmi-bench";
    s.redis.port = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--host") {
            s.redis.host = next();
        } else if (a == "--port") {
            s.redis.port = static_cast<std::uint16_t>(std::stoi(next()));
        } else if (a == "--password") {
            s.redis.password = next();
        } else if (a == "--json") {
            s.json = next();
        } else if (a == "--quick") {
            s.quick = true;
        } else if (a == "--chunk") {
            s.redis.chunk_bytes = std::stoul(next());
        } else if (a == "--only") {
            s.only = next();
        } else if (a == "--peers") {
            s.peers.clear();
            std::stringstream list(next());
            for (std::string item; std::getline(list, item, ',');) s.peers.push_back(std::stoi(item));
        } else {
            throw std::runtime_error("unknown argument " + a +
                                     " (use --port P [--host H] [--password X] [--peers 2,4,8] [--chunk BYTES]"
                                     " [--only TEXT] [--quick] [--json FILE])");
        }
    }
    return s;
}

int run(int argc, char** argv) {
    Settings s = parse(argc, argv);
    std::unique_ptr<test::RedisServer> own;
    if (s.redis.port == 0) {
        own = std::make_unique<test::RedisServer>();
        s.redis.host = "127.0.0.1";
        s.redis.port = own->port();
    }
    const int scale = s.quick ? 1 : 4;
    auto wanted = [&](const std::string& name) { return s.only.empty() || name.find(s.only) != std::string::npos; };
    Report report;
    std::printf("Redis at %s:%d, chunk_bytes %zu\n", s.redis.host.c_str(), s.redis.port, s.redis.chunk_bytes);

    Timing rtt = hiredis_round_trip(s.redis, 2000);
    report.add("floor: hiredis GET round trip", 1, rtt, 1e6, "us");
    if (wanted("redis-benchmark")) {
        if (auto mb = redis_benchmark_mb_s(s.redis, 100 * scale)) {
            report.add("floor: redis-benchmark SET 1 MiB (1 client)", 1, mb->first, "MB/s");
            report.add("floor: redis-benchmark GET 1 MiB (1 client)", 1, mb->second, "MB/s");
        }
    }
    if (wanted("p2p 8 B")) {
        report.add("floor: LPUSH -> BLPOP hand-off one way", 2, handoff_one_way(s.redis, 250 * scale), 1e6, "us");
        Timing fmi = p2p_one_way(s, 250 * scale);
        report.add("fmi p2p 8 B one way", 2, fmi, 1e6, "us");
        report.add("fmi p2p 8 B one way / GET round trip, p50", 2, fmi.p50 / rtt.p50, "x");
        report.add("polling p2p 8 B one way", 2, polling_one_way(s, 50 * scale), 1e6, "us");
    }
    if (wanted("p2p 64 MiB")) report.add("fmi p2p 64 MiB", 2, p2p_bandwidth_mb_s(s, 64u << 20, 2 + scale), "MB/s");
    if (wanted("p2p 1 MiB")) report.add("fmi p2p 1 MiB", 2, p2p_bandwidth_mb_s(s, 1u << 20, 20), "MB/s");

    for (int peers : s.peers) {
        if (wanted("allreduce 8 B")) {
            Timing fmi = allreduce(peers, s, 8, 100 * scale);
            Timing poll = polling_allreduce(peers, s, 20 * scale);
            report.add("fmi allreduce 8 B", peers, fmi, 1e3, "ms");
            report.add("polling allreduce 8 B", peers, poll, 1e3, "ms");
            report.add("polling / fmi allreduce 8 B, p50", peers, poll.p50 / fmi.p50, "x");
            report.add("polling / fmi allreduce 8 B, mean", peers, poll.mean / fmi.mean, "x");
        }
        if (wanted("allreduce 1 MiB")) report.add("fmi allreduce 1 MiB", peers, allreduce(peers, s, 1u << 20, 5 * scale), 1e3, "ms");
        if (wanted("bcast 1 MiB")) report.add("fmi bcast 1 MiB", peers, bcast(peers, s, 1u << 20, 5 * scale), 1e3, "ms");
        if (wanted("barrier")) report.add("fmi barrier", peers, barrier(peers, s, 100 * scale), 1e3, "ms");
    }
    if (!s.json.empty()) report.write_json(s.json);
    return 0;
}

}  // namespace
}  // namespace fmi::bench

int main(int argc, char** argv) {
    try {
        return fmi::bench::run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fmi_redis_bench: %s\n", e.what());
        return 1;
    }
}
