// fmi-bench-s3: the S3 channel against its own server.
//
// Measures, in one run against one S3 endpoint (a local Ceph RGW by default):
//   1. the floor: one PUT then one GET of B bytes by one client (what any
//      message through the store costs at least);
//   2. p2p over S3: latency (half a ping-pong of 8 B) and bandwidth
//      (B bytes one way, then a 1-byte ack, over the round trip);
//   3. allreduce of 8 B and 1 MiB at 2, 4 and 8 peers (back to back after a
//      barrier; the slowest peer's time);
//   4. requests per operation, ours against the original FMI's design:
//      barrier by LISTing the whole bucket until n objects appear, and
//      reduce/allreduce with the root polling every missing object by GET.
// Peers are threads, each with its own backend and connections. Output: a
// table on stderr and JSON on stdout.
//
// Usage: fmi-bench-s3 [--reps R] [--max-bytes B] [--quick]
//   The server: FMI_S3_ENDPOINT, FMI_S3_BUCKET, FMI_S3_ACCESS_KEY_ID,
//   FMI_S3_SECRET_ACCESS_KEY (as printed by scripts/s3/start-rgw.sh), or
//   none of them: the benchmark starts a gateway with that script itself.
#include "channels/s3/s3_backend.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace fmi;
using namespace fmi::detail;
using namespace fmi::detail::s3;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

std::string getenv_or(const char* name, const std::string& fallback = "") {
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

// A gateway started for this run (scripts/s3), stopped on destruction.
class LocalGateway {
public:
    LocalGateway() {
        char templ[] = "/tmp/fmi-bench-rgw-XXXXXX";
        if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp failed");
        dir_ = templ;  // stop-rgw.sh removes it
        if (std::system((std::string(FMI_RGW_START) + " " + dir_ + " --owner-pid " + std::to_string(getpid()) +
                         " >/dev/null").c_str()) != 0)
            throw std::runtime_error("scripts/s3/start-rgw.sh failed");
        std::ifstream env(dir_ + "/env");
        std::string line;
        while (std::getline(env, line))
            if (auto eq = line.find('='); eq != std::string::npos) values_[line.substr(0, eq)] = line.substr(eq + 1);
    }
    ~LocalGateway() {
        std::system((std::string(FMI_RGW_STOP) + " " + dir_).c_str());  // removes dir_
    }
    std::string get(const std::string& name) const { return values_.count(name) ? values_.at(name) : ""; }

private:
    std::string dir_;
    std::map<std::string, std::string> values_;
};

struct Peer {
    Logger log;
    S3Backend backend;
    std::uint64_t coll = 0;
    std::map<int, std::uint64_t> sent, received;
    Peer(int rank, int size, const std::string& comm, const S3Options& o)
        : log(LogLevel::warn, comm + "/" + std::to_string(rank)),
          backend(PeerIdentity{rank, size, comm}, o, {o.access_key_id, o.secret_access_key, o.session_token}, log) {}
    OpContext collective(OpKind op) { return {op, coll++, Deadline(std::chrono::milliseconds(120'000))}; }
    OpContext to(int d) { return {OpKind::send, sent[d]++, Deadline(std::chrono::milliseconds(120'000))}; }
    OpContext from(int s) { return {OpKind::send, received[s]++, Deadline(std::chrono::milliseconds(120'000))}; }
};

// Runs body(rank, peer) on n threads; returns when all are done.
void run(int n, const std::string& comm, const S3Options& o, const std::function<void(int, Peer&)>& body) {
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r)
        threads.emplace_back([&, r] {
            try {
                Peer p(r, n, comm, o);
                try {
                    body(r, p);
                    p.backend.finalize();
                } catch (...) {
                    p.backend.abort();
                    throw;
                }
            } catch (...) {
                errors[static_cast<std::size_t>(r)] = std::current_exception();
            }
        });
    for (auto& t : threads) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

int unique_id = 0;
std::string fresh_comm(const std::string& what) { return "bench-" + what + "-" + std::to_string(unique_id++); }

// 1. One PUT then one GET of `bytes` by one client: the floor of any exchange.
nlohmann::json bench_put_get(const S3Options& o, std::size_t bytes, int reps) {
    Logger log;
    S3Client client(o, {o.access_key_id, o.secret_access_key, o.session_token}, log);
    std::vector<std::byte> data(bytes, std::byte{7}), back(bytes);
    std::vector<double> times;
    for (int i = 0; i < reps; ++i) {
        Deadline d(std::chrono::milliseconds(120'000));
        const std::string key = "fmi-bench/putget/" + std::to_string(i);
        auto t = Clock::now();
        client.put_object(key, data, d);
        client.get_object(key, {bytes, 0, back, false}, d);
        times.push_back(ms_since(t));
        client.delete_object(key, d);
    }
    // A message through the store costs a PUT and a GET: that is the floor of
    // a p2p message's latency, and bytes / (PUT + GET) the ceiling of its bandwidth.
    double ms = median(times);
    return {{"bytes", bytes}, {"put_get_ms", ms}, {"mb_per_s", bytes / 1e3 / ms}};
}

// 2. p2p: half a ping-pong (latency) or B bytes then a 1-byte ack (bandwidth).
nlohmann::json bench_p2p(const S3Options& o, std::size_t bytes, int reps) {
    std::vector<double> times;
    RequestCounts counts;
    run(2, fresh_comm("p2p"), o, [&](int rank, Peer& p) {
        std::vector<std::byte> buf(bytes), ack(bytes == 8 ? 8 : 1);
        p.backend.barrier(p.collective(OpKind::barrier));
        const RequestCounts before = p.backend.request_counts();
        for (int i = 0; i < reps; ++i) {
            auto t = Clock::now();
            if (rank == 0) {
                p.backend.send(buf, 1, p.to(1));
                p.backend.recv(ack, 1, p.from(1));
                times.push_back(ms_since(t));
            } else {
                p.backend.recv(buf, 0, p.from(0));
                p.backend.send(ack, 0, p.to(0));
            }
        }
        if (rank == 0) counts = p.backend.request_counts() - before;
    });
    double ms = median(times);
    nlohmann::json j{{"bytes", bytes}, {"round_trip_ms", ms}};
    if (bytes == 8) j["latency_ms"] = ms / 2;
    else j["mb_per_s"] = bytes / 1e3 / ms;
    j["get_misses_per_round_trip_peer0"] = double(counts.get_misses) / reps;
    return j;
}

// 3. allreduce, back to back after a barrier; the slowest peer's median.
nlohmann::json bench_allreduce(const S3Options& o, int n, std::size_t bytes, int reps) {
    std::vector<std::vector<double>> times(static_cast<std::size_t>(n));
    std::vector<RequestCounts> counts(static_cast<std::size_t>(n));
    run(n, fresh_comm("allreduce"), o, [&](int rank, Peer& p) {
        std::vector<float> in(bytes / sizeof(float), 1.0f), out(in.size());
        ReduceFn sum = make_reduce<float>(Op::sum);
        p.backend.barrier(p.collective(OpKind::barrier));
        const RequestCounts before = p.backend.request_counts();
        for (int i = 0; i < reps; ++i) {
            auto t = Clock::now();
            p.backend.allreduce(std::as_bytes(std::span(in)), std::as_writable_bytes(std::span(out)), sum,
                                p.collective(OpKind::allreduce));
            times[rank].push_back(ms_since(t));
        }
        counts[rank] = p.backend.request_counts() - before;
    });
    std::vector<double> slowest(static_cast<std::size_t>(reps), 0);
    for (auto& per_rank : times)
        for (int i = 0; i < reps; ++i) slowest[i] = std::max(slowest[i], per_rank[i]);
    RequestCounts total;
    for (auto& c : counts) {
        total.put += c.put, total.get += c.get, total.list += c.list, total.get_misses += c.get_misses;
        total.list_incomplete += c.list_incomplete;
    }
    return {{"peers", n}, {"bytes", bytes}, {"ms", median(slowest)},
            {"requests_per_op", {{"PUT", double(total.put) / reps}, {"GET", double(total.get) / reps},
                                 {"LIST", double(total.list) / reps},
                                 {"GET_hits", double(total.get - total.get_misses) / reps}}}};
}

// ---- 4. The original FMI's S3 design, re-created on the same client --------
// Its barrier: every peer PUTs a 1-byte object, then LISTs the bucket with
// no prefix and no pagination until n objects exist. Its reduce: non-roots
// PUT, the root polls each missing object with GET every round. Same
// back-off as ours, so only the design differs.

struct OriginalCounts {
    double put = 0, get = 0, list = 0;  // per operation, all peers
    double ms = 0;
};

class Poll {
public:
    explicit Poll(const S3Options& o) : interval_(o.poll_initial), max_(o.poll_max) {}
    void sleep() {
        std::this_thread::sleep_for(interval_);
        interval_ = std::min(interval_ * 2, max_);
    }

private:
    std::chrono::milliseconds interval_, max_;
};

OriginalCounts original_barrier(const S3Options& o, int n, int reps) {
    OriginalCounts total;
    std::vector<double> times;
    for (int rep = 0; rep < reps; ++rep) {
        std::barrier sync(n);
        std::vector<RequestCounts> counts(static_cast<std::size_t>(n));
        std::vector<double> took(static_cast<std::size_t>(n));
        std::vector<std::thread> threads;
        const std::string dir = "fmi-bench-orig/barrier" + std::to_string(rep) + "/";
        for (int r = 0; r < n; ++r)
            threads.emplace_back([&, r] {
                Logger log;
                S3Client c(o, {o.access_key_id, o.secret_access_key, o.session_token}, log);
                Deadline d(std::chrono::milliseconds(60'000));
                sync.arrive_and_wait();
                auto t = Clock::now();
                std::byte one{1};
                c.put_object(dir + std::to_string(r), std::span(&one, 1), d);
                Poll poll(o);
                for (;;) {
                    // The original lists the bucket without a prefix or
                    // pagination. Our client refuses an empty prefix, so the
                    // listing gets "f", which holds every object of this run;
                    // one page, as the original reads.
                    ListPage page = c.list_page("f", "", d);
                    std::size_t mine = 0;
                    for (auto& e : page.objects) mine += e.key.rfind(dir, 0) == 0;
                    if (mine >= static_cast<std::size_t>(n)) break;
                    poll.sleep();
                }
                took[r] = ms_since(t);
                counts[r] = c.counts();
            });
        for (auto& t : threads) t.join();
        for (auto& c : counts) total.put += double(c.put), total.get += double(c.get), total.list += double(c.list);
        times.push_back(*std::max_element(took.begin(), took.end()));
        Logger log;
        S3Client c(o, {o.access_key_id, o.secret_access_key, o.session_token}, log);
        auto keys = c.list_all(dir, Deadline(std::chrono::milliseconds(60'000)));
        std::vector<std::string> names;
        for (auto& e : keys) names.push_back(e.key);
        c.delete_objects(names, Deadline(std::chrono::milliseconds(60'000)));
    }
    total.put /= reps, total.get /= reps, total.list /= reps;
    total.ms = median(times);
    return total;
}

OriginalCounts original_allreduce(const S3Options& o, int n, int reps) {
    OriginalCounts total;
    std::vector<double> times;
    for (int rep = 0; rep < reps; ++rep) {
        std::barrier sync(n);
        std::vector<RequestCounts> counts(static_cast<std::size_t>(n));
        std::vector<double> took(static_cast<std::size_t>(n));
        std::vector<std::thread> threads;
        const std::string dir = "fmi-bench-orig/allreduce" + std::to_string(rep) + "/";
        for (int r = 0; r < n; ++r)
            threads.emplace_back([&, r] {
                Logger log;
                S3Client c(o, {o.access_key_id, o.secret_access_key, o.session_token}, log);
                Deadline d(std::chrono::milliseconds(60'000));
                float value = 1.0f, sum = 0.0f;
                auto bytes = std::as_writable_bytes(std::span(&sum, 1));
                sync.arrive_and_wait();
                auto t = Clock::now();
                if (r != 0) {
                    c.put_object(dir + std::to_string(r), std::as_bytes(std::span(&value, 1)), d);
                    Poll poll(o);
                    while (!c.get_object(dir + "result", {4, 0, bytes, true}, d).found) poll.sleep();
                } else {
                    sum = value;
                    std::vector<char> have(static_cast<std::size_t>(n), 0);
                    int missing = n - 1;
                    Poll poll(o);
                    while (missing > 0) {  // one GET per missing object per round
                        for (int p = 1; p < n; ++p) {
                            if (have[p]) continue;
                            float x = 0;
                            if (c.get_object(dir + std::to_string(p),
                                             {4, 0, std::as_writable_bytes(std::span(&x, 1)), true}, d).found) {
                                have[p] = 1;
                                sum += x;
                                --missing;
                            }
                        }
                        if (missing > 0) poll.sleep();
                    }
                    c.put_object(dir + "result", std::as_bytes(std::span(&sum, 1)), d);
                }
                took[r] = ms_since(t);
                counts[r] = c.counts();
            });
        for (auto& t : threads) t.join();
        for (auto& c : counts) total.put += double(c.put), total.get += double(c.get), total.list += double(c.list);
        times.push_back(*std::max_element(took.begin(), took.end()));
        Logger log;
        S3Client c(o, {o.access_key_id, o.secret_access_key, o.session_token}, log);
        auto keys = c.list_all(dir, Deadline(std::chrono::milliseconds(60'000)));
        std::vector<std::string> names;
        for (auto& e : keys) names.push_back(e.key);
        c.delete_objects(names, Deadline(std::chrono::milliseconds(60'000)));
    }
    total.put /= reps, total.get /= reps, total.list /= reps;
    total.ms = median(times);
    return total;
}

// Ours: requests per barrier / allreduce, averaged over reps, all peers summed.
nlohmann::json ours_requests(const S3Options& o, int n, OpKind op, int reps) {
    std::vector<RequestCounts> counts(static_cast<std::size_t>(n));
    std::vector<std::vector<double>> times(static_cast<std::size_t>(n));
    run(n, fresh_comm("requests"), o, [&](int rank, Peer& p) {
        float v = 1.0f, s = 0.0f;
        ReduceFn sum = make_reduce<float>(Op::sum);
        p.backend.barrier(p.collective(OpKind::barrier));
        const RequestCounts before = p.backend.request_counts();
        for (int i = 0; i < reps; ++i) {
            auto t = Clock::now();
            if (op == OpKind::barrier)
                p.backend.barrier(p.collective(OpKind::barrier));
            else
                p.backend.allreduce(std::as_bytes(std::span(&v, 1)), std::as_writable_bytes(std::span(&s, 1)), sum,
                                    p.collective(OpKind::allreduce));
            times[rank].push_back(ms_since(t));
        }
        counts[rank] = p.backend.request_counts() - before;
    });
    RequestCounts t;
    for (auto& c : counts) t.put += c.put, t.get += c.get, t.list += c.list;
    std::vector<double> slowest(static_cast<std::size_t>(reps), 0);
    for (auto& per_rank : times)
        for (int i = 0; i < reps; ++i) slowest[i] = std::max(slowest[i], per_rank[i]);
    return {{"PUT", double(t.put) / reps}, {"GET", double(t.get) / reps}, {"LIST", double(t.list) / reps},
            {"ms", median(slowest)}};
}

}  // namespace

int main(int argc, char** argv) {
    int reps = 10;
    std::size_t max_bytes = 64u << 20;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
        else if (a == "--max-bytes" && i + 1 < argc) max_bytes = std::stoull(argv[++i]);
        else if (a == "--quick") quick = true;
        else {
            std::cerr << "usage: fmi-bench-s3 [--reps R] [--max-bytes B] [--quick]\n";
            return 2;
        }
    }
    if (quick) reps = std::min(reps, 3), max_bytes = std::min<std::size_t>(max_bytes, 4u << 20);

    std::unique_ptr<LocalGateway> gateway;
    if (getenv_or("FMI_S3_ENDPOINT").empty()) gateway = std::make_unique<LocalGateway>();
    auto setting = [&](const char* name) { return gateway ? gateway->get(name) : getenv_or(name); };
    S3Options o;
    o.enabled = true;
    o.endpoint = setting("FMI_S3_ENDPOINT");
    o.bucket = setting("FMI_S3_BUCKET");
    o.region = setting("FMI_S3_REGION").empty() ? "us-east-1" : setting("FMI_S3_REGION");
    o.access_key_id = setting("FMI_S3_ACCESS_KEY_ID");
    o.secret_access_key = setting("FMI_S3_SECRET_ACCESS_KEY");
    o.path_style = true;
    o.key_prefix = "fmi-bench";

    nlohmann::json out;
    out["server"] = o.endpoint;
    out["poll_initial_ms"] = o.poll_initial.count();
    out["poll_max_ms"] = o.poll_max.count();
    out["multipart_threshold"] = o.multipart_threshold;
    std::vector<std::size_t> sizes{8, 1u << 20};
    for (std::size_t b = 16u << 20; b <= max_bytes; b *= 4) sizes.push_back(b);

    // A failed measurement is reported and the run goes on.
    auto attempt = [&](const std::string& what, const std::function<nlohmann::json()>& measure) -> nlohmann::json {
        try {
            return measure();
        } catch (const std::exception& e) {
            std::cerr << "  " << what << ": FAILED: " << e.what() << "\n";
            return {{"error", e.what()}, {"what", what}};
        }
    };
    std::cerr << "== one PUT + one GET (the floor), one client\n";
    for (std::size_t b : sizes) {
        auto j = attempt("put+get " + std::to_string(b), [&] { return bench_put_get(o, b, reps); });
        if (j.contains("error")) continue;
        std::cerr << "  " << b << " B: PUT+GET " << j["put_get_ms"].get<double>() << " ms, "
                  << j["mb_per_s"].get<double>() << " MB/s through the store\n";
        out["put_get"].push_back(j);
    }
    std::cerr << "== p2p over S3 (fmi send/recv)\n";
    for (std::size_t b : sizes) {
        auto j = attempt("p2p " + std::to_string(b), [&] { return bench_p2p(o, b, reps); });
        if (j.contains("error")) continue;
        std::cerr << "  " << b << " B: round trip " << j["round_trip_ms"].get<double>() << " ms"
                  << (b == 8 ? ", latency " + std::to_string(j["latency_ms"].get<double>()) + " ms"
                             : ", " + std::to_string(j["mb_per_s"].get<double>()) + " MB/s")
                  << "\n";
        out["p2p"].push_back(j);
    }
    std::cerr << "== allreduce (slowest peer)\n";
    for (int n : {2, 4, 8})
        for (std::size_t b : {std::size_t{8}, std::size_t{1} << 20}) {
            auto j = attempt("allreduce", [&] { return bench_allreduce(o, n, b, reps); });
            if (j.contains("error")) continue;
            std::cerr << "  n=" << n << " " << b << " B: " << j["ms"].get<double>() << " ms, requests/op "
                      << j["requests_per_op"].dump() << "\n";
            out["allreduce"].push_back(j);
        }
    std::cerr << "== requests per operation: fmi vs the original design (all peers, per op)\n";
    for (int n : {2, 4, 8}) try {
        auto ob = original_barrier(o, n, reps);
        auto fb = ours_requests(o, n, OpKind::barrier, reps);
        auto oa = original_allreduce(o, n, reps);
        auto fa = ours_requests(o, n, OpKind::allreduce, reps);
        std::cerr << "  n=" << n << " barrier: original PUT " << ob.put << " LIST " << ob.list << " (" << ob.ms
                  << " ms) | fmi PUT " << fb["PUT"] << " GET " << fb["GET"] << " LIST " << fb["LIST"] << " ("
                  << fb["ms"] << " ms)\n";
        std::cerr << "  n=" << n << " allreduce: original PUT " << oa.put << " GET " << oa.get << " LIST " << oa.list
                  << " (" << oa.ms << " ms) | fmi PUT " << fa["PUT"] << " GET " << fa["GET"] << " LIST " << fa["LIST"]
                  << " (" << fa["ms"] << " ms)\n";
        out["requests"].push_back({{"peers", n},
                                   {"barrier", {{"original", {{"PUT", ob.put}, {"GET", ob.get}, {"LIST", ob.list}, {"ms", ob.ms}}},
                                                {"fmi", fb}}},
                                   {"allreduce", {{"original", {{"PUT", oa.put}, {"GET", oa.get}, {"LIST", oa.list}, {"ms", oa.ms}}},
                                                  {"fmi", fa}}}});
    } catch (const std::exception& e) {
        std::cerr << "  requests n=" << n << ": FAILED: " << e.what() << "\n";
    }
    std::cout << out.dump(2) << std::endl;
    return 0;
}
