// Scenarios run by every peer of a multi-process test. Expected values are
// closed forms where one exists, otherwise a left-to-right reference fold
// computed here from the same generators every peer uses.
#include "scenarios.hpp"

#include <fmi/fmi.hpp>

#include <array>
#include <atomic>
#include <cmath>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fmi_test {
namespace {

using i64 = std::int64_t;

/// Counts checks; remembers the first few failures with their context.
class Checker {
public:
    explicit Checker(int rank) : rank_(rank) {}
    template <class T>
    void equal(const std::vector<T>& got, const std::vector<T>& want, const std::string& what) {
        ++checks_;
        if (got.size() != want.size()) {
            fail(what + ": size " + std::to_string(got.size()) + " != " + std::to_string(want.size()));
            return;
        }
        for (std::size_t i = 0; i < got.size(); ++i)
            if (std::memcmp(&got[i], &want[i], sizeof(T)) != 0) {
                fail(what + ": first difference at element " + std::to_string(i));
                return;
            }
    }
    void truth(bool ok, const std::string& what) {
        ++checks_;
        if (!ok) fail(what);
    }
    int finish(const char* scenario) const {
        std::printf("peer %d: %s: %d checks, %d failed\n", rank_, scenario, checks_, failures_);
        return failures_ == 0 ? 0 : 1;
    }

private:
    void fail(const std::string& what) {
        if (++failures_ <= 10) std::fprintf(stderr, "peer %d: FAILED %s\n", rank_, what.c_str());
    }
    int rank_;
    int checks_ = 0;
    int failures_ = 0;
};

// A non-commutative, associative element: 2x2 integer matrices mod a prime.
struct Mat {
    i64 a, b, c, d;
};
constexpr i64 kPrime = 1'000'003;
Mat matmul(const Mat& x, const Mat& y) {
    return {(x.a * y.a + x.b * y.c) % kPrime, (x.a * y.b + x.b * y.d) % kPrime,
            (x.c * y.a + x.d * y.c) % kPrime, (x.c * y.b + x.d * y.d) % kPrime};
}
Mat mat_value(int r, std::size_t i) {
    // Alternating upper and lower shears: these do not commute.
    i64 v = (r + 1) * 31 + static_cast<i64>(i % 1000);
    return (r % 2 == 0) ? Mat{1, v, 0, 1} : Mat{1, 0, v, 1};
}

// Generators shared by all peers.
i64 lin(int r, std::size_t i) { return (r + 1) * static_cast<i64>(i + 1); }
i64 small(int r, std::size_t i) { return static_cast<i64>((r + i) % 3) + 1; }
std::uint32_t bits(int r, std::size_t i) { return (1u << (r % 32)) ^ static_cast<std::uint32_t>(i); }
i64 nonassoc_value(int r, std::size_t i) { return r + static_cast<i64>(i % 97); }
i64 nonassoc(i64 a, i64 b) { return 2 * a + b; }  // neither commutative nor associative

template <class T, class Gen>
std::vector<T> make(int r, std::size_t n, Gen gen) {
    std::vector<T> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = gen(r, i);
    return v;
}

struct Matrix {
    fmi::Communicator& comm;
    Checker& check;
    bool large;  // include the 64 MiB cases
    int P() const { return comm.num_peers(); }
    int me() const { return comm.peer_id(); }

    std::vector<int> roots() const {
        std::set<int> r{0, P() - 1, P() / 2};
        return {r.begin(), r.end()};
    }
    static std::vector<std::size_t> counts() { return {0, 1, 7, 1001, 262'147}; }
    std::string tag(const std::string& op, std::size_t n, int root = -1) const {
        std::string t = op + " n=" + std::to_string(n) + " P=" + std::to_string(P());
        if (root >= 0) t += " root=" + std::to_string(root);
        return t;
    }

    void point_to_point() {
        if (P() == 1) return;
        std::vector<std::size_t> sizes{0, 1, 1001};
        if (large) sizes.push_back((64u << 20) / sizeof(i64));
        int next = (me() + 1) % P(), prev = (me() + P() - 1) % P();
        for (std::size_t n : sizes) {
            auto out = make<i64>(me(), n, lin);
            std::vector<i64> in(n, -1);
            // Odd peers receive first, so a ring of large messages cannot deadlock.
            if (me() % 2 == 0) { comm.send(out, next); comm.recv(in, prev); }
            else { comm.recv(in, prev); comm.send(out, next); }
            check.equal(in, make<i64>(prev, n, lin), tag("send/recv ring", n));
        }
        // A single byte and a scalar.
        std::uint8_t byte = static_cast<std::uint8_t>(me() * 3 + 1);
        if (me() == 0) {
            comm.send(byte, 1);
            check.truth(comm.recv<double>(1) == 2.5, "scalar recv");
        } else if (me() == 1) {
            check.truth(comm.recv<std::uint8_t>(0) == 1, "byte recv");
            comm.send(2.5, 0);
        }
    }

    void bcast() {
        std::vector<std::size_t> sizes = counts();
        if (large) sizes.push_back((64u << 20) / sizeof(i64));
        for (int root : roots())
            for (std::size_t n : sizes) {
                std::vector<i64> data = me() == root ? make<i64>(root, n, lin) : std::vector<i64>(n, -1);
                comm.bcast(data, root);
                check.equal(data, make<i64>(root, n, lin), tag("bcast", n, root));
            }
        std::array<int, 3> arr{};
        if (me() == 0) arr = {7, 8, 9};
        comm.bcast(arr, 0);
        check.truth(arr == std::array<int, 3>{7, 8, 9}, "bcast std::array");
    }

    void gather_scatter() {
        for (int root : roots())
            for (std::size_t n : counts()) {
                auto in = make<i64>(me(), n, lin);
                std::vector<i64> out(me() == root ? n * P() : 0, -1);
                comm.gather(in, out, root);
                if (me() == root) {
                    std::vector<i64> want;
                    for (int k = 0; k < P(); ++k) for (std::size_t i = 0; i < n; ++i) want.push_back(lin(k, i));
                    check.equal(out, want, tag("gather", n, root));
                }
                std::vector<i64> all;
                if (me() == root)
                    for (int k = 0; k < P(); ++k) for (std::size_t i = 0; i < n; ++i) all.push_back(lin(k, i) * 3);
                std::vector<i64> mine(n, -1);
                comm.scatter(all, mine, root);
                std::vector<i64> want(n);
                for (std::size_t i = 0; i < n; ++i) want[i] = lin(me(), i) * 3;
                check.equal(mine, want, tag("scatter", n, root));
            }
        for (std::size_t n : counts()) {
            auto in = make<i64>(me(), n, lin);
            std::vector<i64> out(n * P(), -1), want;
            comm.allgather(in, out);
            for (int k = 0; k < P(); ++k) for (std::size_t i = 0; i < n; ++i) want.push_back(lin(k, i));
            check.equal(out, want, tag("allgather", n));
        }
        auto scalars = comm.gather(me() * 10, P() - 1);
        if (me() == P() - 1) {
            std::vector<int> want;
            for (int k = 0; k < P(); ++k) want.push_back(k * 10);
            check.equal(scalars, want, "gather scalar");
        }
    }

    // Expected reductions over peers [0, upto] (closed forms or reference folds).
    std::vector<i64> want_sum(std::size_t n, int upto) const {
        std::vector<i64> w(n);
        for (std::size_t i = 0; i < n; ++i) w[i] = static_cast<i64>(i + 1) * (upto + 1) * (upto + 2) / 2;
        return w;
    }
    std::vector<i64> want_max(std::size_t n, int upto) const {
        std::vector<i64> w(n);
        for (std::size_t i = 0; i < n; ++i) w[i] = static_cast<i64>(i + 1) * (upto + 1);
        return w;
    }
    std::vector<std::uint32_t> want_xor(std::size_t n, int upto) const {
        std::vector<std::uint32_t> w(n);
        std::uint32_t peers = 0;
        for (int r = 0; r <= upto; ++r) peers ^= 1u << (r % 32);
        for (std::size_t i = 0; i < n; ++i) w[i] = peers ^ ((upto + 1) % 2 ? static_cast<std::uint32_t>(i) : 0u);
        return w;
    }
    std::vector<i64> want_prod(std::size_t n, int upto) const {
        std::vector<i64> w(n, 1);
        for (std::size_t i = 0; i < n; ++i) for (int r = 0; r <= upto; ++r) w[i] *= small(r, i);
        return w;
    }
    std::vector<i64> want_nonassoc(std::size_t n, int upto) const {
        // ((x0 * 2 + x1) * 2 + x2) ... = sum_r x_r * 2^(upto - r)
        std::vector<i64> w(n, 0);
        for (std::size_t i = 0; i < n; ++i)
            for (int r = 0; r <= upto; ++r) w[i] += nonassoc_value(r, i) * (i64{1} << (upto - r));
        return w;
    }
    std::vector<Mat> want_mat(std::size_t n, int upto) const {
        std::vector<Mat> w(n);
        for (std::size_t i = 0; i < n; ++i) {
            Mat acc = mat_value(0, i);
            for (int r = 1; r <= upto; ++r) acc = matmul(acc, mat_value(r, i));
            w[i] = acc;
        }
        return w;
    }

    // Runs `op` (reduce at root, allreduce or scan) for every operator and checks it.
    void reductions(const std::string& kind, int root) {
        auto mat_fn = fmi::function<Mat>(matmul, /*commutative=*/false, /*associative=*/true);
        auto nonassoc_fn = fmi::function<i64>(nonassoc, false, false);
        for (std::size_t n : counts()) {
            bool receives = kind != "reduce" || me() == root;
            int upto = kind == "scan" ? me() : P() - 1;
            auto run = [&](auto in, auto op, auto want, const char* name) {
                using T = typename decltype(in)::value_type;
                auto original = in;
                std::vector<T> out(n);
                if (kind == "reduce") comm.reduce(in, out, op, root);
                else if (kind == "allreduce") comm.allreduce(in, out, op);
                else comm.scan(in, out, op);
                check.equal(in, original, tag(kind + " " + name + " leaves the input unchanged", n, root));
                if (receives) check.equal(out, want, tag(kind + " " + name, n, root));
            };
            run(make<i64>(me(), n, lin), fmi::Op::sum, want_sum(n, upto), "sum");
            run(make<i64>(me(), n, lin), fmi::Op::max, want_max(n, upto), "max");
            run(make<i64>(me(), n, small), fmi::Op::prod, want_prod(n, upto), "prod");
            run(make<std::uint32_t>(me(), n, bits), fmi::Op::bit_xor, want_xor(n, upto), "bit_xor");
            run(make<Mat>(me(), n, mat_value), mat_fn, want_mat(n, upto), "matmul(non-commutative)");
            run(make<i64>(me(), n, nonassoc_value), nonassoc_fn, want_nonassoc(n, upto), "2a+b(non-associative)");
        }
        // In place: the same vector as input and output.
        {
            auto data = make<i64>(me(), 1001, lin);
            if (kind == "reduce") comm.reduce(data, data, fmi::Op::sum, root);
            else if (kind == "allreduce") comm.allreduce(data, data, fmi::Op::sum);
            else comm.scan(data, data, fmi::Op::sum);
            if (kind != "reduce" || me() == root)
                check.equal(data, want_sum(1001, kind == "scan" ? me() : P() - 1), tag(kind + " in place", 1001, root));
        }
    }

    void reduce_family() {
        for (int root : roots()) reductions("reduce", root);
        reductions("allreduce", -1);
        reductions("scan", -1);
        // Scalars.
        check.truth(comm.allreduce(me() + 1, fmi::Op::sum) == P() * (P() + 1) / 2, "allreduce scalar");
        check.truth(comm.scan(1, fmi::Op::sum) == me() + 1, "scan scalar");
        // Large allreduce (chunked paths) and floating-point determinism.
        if (large) {
            std::size_t n = (64u << 20) / sizeof(i64);
            auto in = make<i64>(me(), n, lin);
            std::vector<i64> out(n);
            comm.allreduce(in, out, fmi::Op::sum);
            check.equal(out, want_sum(n, P() - 1), tag("allreduce 64 MiB", n));
        }
        std::vector<double> x(4099);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = 1.0 / (me() + 1.0 + i * 0.37);
        std::vector<double> first(x.size()), again(x.size());
        comm.allreduce(x, first, fmi::Op::sum);
        comm.allreduce(x, again, fmi::Op::sum);
        check.equal(again, first, "allreduce double is deterministic");
        double ref0 = 0;
        for (int r = 0; r < P(); ++r) ref0 += 1.0 / (r + 1.0);
        check.truth(std::abs(first[0] - ref0) < 1e-12 * P(), "allreduce double value");
    }
};

int matrix(bool large) {
    auto comm = fmi::Communicator::from_environment();
    Checker check(comm.peer_id());
    Matrix m{comm, check, large};
    m.point_to_point();
    m.bcast();
    m.gather_scatter();
    m.reduce_family();
    comm.barrier();
    comm.finalize();
    return check.finish("matrix");
}

// Every peer first sends to every other peer, then receives: the original
// set up connections lazily and deadlocked here.
int cross_send() {
    auto comm = fmi::Communicator::from_environment();
    Checker check(comm.peer_id());
    for (int p = 0; p < comm.num_peers(); ++p)
        if (p != comm.peer_id()) comm.send(comm.peer_id() * 100 + p, p);
    for (int p = 0; p < comm.num_peers(); ++p)
        if (p != comm.peer_id()) check.truth(comm.recv<int>(p) == p * 100 + comm.peer_id(), "cross send from " + std::to_string(p));
    return check.finish("cross_send");
}

// Prints the error's dynamic type name for the harness to check.
const char* error_kind(const fmi::Error& e) {
    if (dynamic_cast<const fmi::SizeMismatchError*>(&e)) return "SizeMismatchError";
    if (dynamic_cast<const fmi::MismatchError*>(&e)) return "MismatchError";
    if (dynamic_cast<const fmi::TimeoutError*>(&e)) return "TimeoutError";
    if (dynamic_cast<const fmi::PeerLostError*>(&e)) return "PeerLostError";
    if (dynamic_cast<const fmi::ConfigError*>(&e)) return "ConfigError";
    if (dynamic_cast<const fmi::UsageError*>(&e)) return "UsageError";
    if (dynamic_cast<const fmi::IoError*>(&e)) return "IoError";
    return "Error";
}

void report(int rank, const fmi::Error& e, double seconds) {
    std::printf("peer %d: caught %s after %.2f s: %s\n", rank, error_kind(e), seconds, e.what());
    std::fflush(stdout);
}

double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Peer 1 expects more bytes than peer 0 sends, in send/recv and in bcast.
int size_mismatch(const std::string& which) {
    auto comm = fmi::Communicator::from_environment();
    auto start = std::chrono::steady_clock::now();
    try {
        if (which == "send") {
            if (comm.peer_id() == 0) comm.send(std::vector<std::int32_t>(10, 1), 1);
            if (comm.peer_id() == 1) { std::vector<std::int32_t> v(12); comm.recv(v, 0); }
        } else {
            std::vector<std::int32_t> v(comm.peer_id() == 0 ? 10 : 12);
            comm.bcast(v, 0);
        }
        comm.barrier();
        std::printf("peer %d: no error\n", comm.peer_id());
    } catch (const fmi::Error& e) {
        report(comm.peer_id(), e, since(start));
    }
    return 0;
}

// An invalid root is a local UsageError that does not break the communicator.
int invalid_root() {
    auto comm = fmi::Communicator::from_environment();
    Checker check(comm.peer_id());
    std::vector<int> v(4, comm.peer_id());
    try {
        comm.bcast(v, comm.num_peers());
        check.truth(false, "bcast with root == num_peers must throw");
    } catch (const fmi::UsageError& e) {
        check.truth(std::string(e.what()).find("root " + std::to_string(comm.num_peers())) != std::string::npos,
                    std::string("message names the root: ") + e.what());
    }
    try {
        std::vector<int> out(3);
        comm.allreduce(v, out, fmi::Op::sum);
        check.truth(false, "allreduce with a short output must throw");
    } catch (const fmi::UsageError& e) {
        check.truth(std::string(e.what()).find("16") != std::string::npos, std::string("names sizes: ") + e.what());
    }
    comm.barrier();  // still usable
    check.truth(comm.allreduce(1, fmi::Op::sum) == comm.num_peers(), "usable after a usage error");
    return check.finish("invalid_root");
}

// Peer `victim` kills itself in the middle of a loop of allreduces; the others
// must fail with a typed error within their deadline.
int killed_peer(int victim) {
    auto comm = fmi::Communicator::from_environment();
    std::vector<i64> data(100'000, comm.peer_id());
    std::vector<i64> out(data.size());
    auto start = std::chrono::steady_clock::now();
    try {
        for (int i = 0; i < 1000; ++i) {
            if (i == 5 && comm.peer_id() == victim) raise(SIGKILL);
            comm.allreduce(data, out, fmi::Op::sum);
        }
        std::printf("peer %d: no error\n", comm.peer_id());
        return 1;
    } catch (const fmi::Error& e) {
        report(comm.peer_id(), e, since(start));
        return 0;
    }
}

// Peer 0 calls bcast while the others call allreduce.
int collective_mismatch() {
    auto comm = fmi::Communicator::from_environment();
    auto start = std::chrono::steady_clock::now();
    std::vector<i64> v(16, 1), out(16);
    try {
        if (comm.peer_id() == 0) comm.bcast(v, 0);
        else comm.allreduce(v, out, fmi::Op::sum);
        comm.barrier();
        std::printf("peer %d: no error\n", comm.peer_id());
    } catch (const fmi::Error& e) {
        report(comm.peer_id(), e, since(start));
    }
    return 0;
}

// FMI_CONFIG names an invalid file: creating the communicator must fail.
int bad_config() {
    try {
        auto comm = fmi::Communicator::from_environment();
        std::printf("no error\n");
        return 1;
    } catch (const fmi::ConfigError& e) {
        std::printf("caught ConfigError field=%s: %s\n", e.field().c_str(), e.what());
        return 0;
    }
}

// Two communicators with names that would collide if concatenated ("App"
// peer 11 vs "App1" peer 1) used at once from two threads of every process.
int concurrent_comms() {
    const char* id = std::getenv("FMI_PEER_ID");
    const char* np = std::getenv("FMI_NUM_PEERS");
    const char* base = std::getenv("FMI_COMM");
    if (!id || !np || !base) return 2;
    int rank = std::atoi(id), size = std::atoi(np);
    fmi::Config config;
    std::atomic<int> failures{0};
    auto body = [&](std::string name, int factor) {
        fmi::Communicator comm(rank, size, name, config);
        for (int i = 0; i < 50; ++i) {
            int got = comm.allreduce((rank + 1) * factor, fmi::Op::sum);
            if (got != factor * size * (size + 1) / 2) ++failures;
        }
    };
    std::thread a(body, std::string(base) + "App", 1);
    std::thread b(body, std::string(base) + "App1", 1000);
    a.join();
    b.join();
    std::printf("peer %d: concurrent_comms: %d failures\n", rank, failures.load());
    return failures.load() == 0 ? 0 : 1;
}

}  // namespace

int run_scenario(const std::string& name, int argc, char** argv) {
    std::string arg = argc > 0 ? argv[0] : "";
    if (name == "matrix") return matrix(arg != "small");
    if (name == "cross_send") return cross_send();
    if (name == "size_mismatch") return size_mismatch(arg.empty() ? "send" : arg);
    if (name == "invalid_root") return invalid_root();
    if (name == "killed_peer") return killed_peer(arg.empty() ? 1 : std::atoi(arg.c_str()));
    if (name == "collective_mismatch") return collective_mismatch();
    if (name == "bad_config") return bad_config();
    if (name == "concurrent_comms") return concurrent_comms();
    std::fprintf(stderr, "unknown scenario '%s'\n", name.c_str());
    return 2;
}

}  // namespace fmi_test
