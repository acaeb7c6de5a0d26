// The full operation matrix over a real Redis server: every operation x world
// sizes 1..9 x roots (0, middle, last) x sizes (0 B, one element, odd counts,
// one chunk and a byte, many chunks: chunk_bytes is 100 so the inline limit is
// 100 B) x reductions (sum; 2x2 matrix product: associative, not commutative;
// a*16+b "digit concatenation": neither). Expected values are closed forms.
// After each job SCAN must find no key of the communicator.
#include "redis_harness.hpp"
#include "byte_views.hpp"

#include <fmi/ops.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fmi::test {
namespace {

using std::int32_t;
using std::int64_t;
using std::uint64_t;

void check(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what);
}

/// Throws, naming the operation and element, unless got == want.
template <class T>
void expect_at(const char* op, int root, std::size_t count, std::size_t i, const T& got, const T& want) {
    if (got == want) return;
    std::ostringstream s;
    s << op << " root " << root << " count " << count << " element " << i << ": got " << got << ", want " << want;
    throw std::runtime_error(s.str());
}

// ---- data and closed forms ---------------------------------------------------

int32_t value(int peer, std::size_t i) { return peer * 100000 + static_cast<int32_t>(i) + 7; }

std::vector<int32_t> data_of(int peer, std::size_t count) {
    std::vector<int32_t> v(count);
    for (std::size_t i = 0; i < count; ++i) v[i] = value(peer, i);
    return v;
}

/// Upper triangular [[1, a], [0, 2]]: products are order-sensitive.
struct Mat {
    uint64_t a, b, c, d;
    bool operator==(const Mat&) const = default;
};
std::ostream& operator<<(std::ostream& o, const Mat& m) {
    return o << "[[" << m.a << "," << m.b << "],[" << m.c << "," << m.d << "]]";
}
Mat mat_mul(const Mat& l, const Mat& r) {
    return {l.a * r.a + l.b * r.c, l.a * r.b + l.b * r.d, l.c * r.a + l.d * r.c, l.c * r.b + l.d * r.d};
}
uint64_t mat_param(int peer, std::size_t i) { return static_cast<uint64_t>(peer) + i + 1; }
/// M_0 M_1 ... M_k = [[1, sum_p a_p 2^(k-p)], [0, 2^(k+1)]].
Mat mat_prefix(int k, std::size_t i) {
    uint64_t s = 0;
    for (int p = 0; p <= k; ++p) s += mat_param(p, i) << (k - p);
    return {1, s, 0, uint64_t(1) << (k + 1)};
}

/// "Digits" 1..15 concatenated in base 16 by f(a, b) = a * 16 + b.
uint64_t digit(int peer, std::size_t i) { return (static_cast<uint64_t>(peer) + i) % 15 + 1; }
uint64_t concat_prefix(int k, std::size_t i) {
    uint64_t r = 0;
    for (int p = 0; p <= k; ++p) r += digit(p, i) << (4 * (k - p));
    return r;
}

int64_t sum_input(int peer, std::size_t i) { return int64_t(peer) * 1000 + int64_t(i); }
int64_t sum_prefix(int k, std::size_t i) { return 1000 * int64_t(k) * (k + 1) / 2 + int64_t(k + 1) * int64_t(i); }

struct Reductions {
    ReduceFn sum = make_reduce<int64_t>(Op::sum);
    ReduceFn mat = make_reduce(function<Mat>(mat_mul, /*commutative=*/false, /*associative=*/true));
    ReduceFn concat = make_reduce(function<uint64_t>([](uint64_t a, uint64_t b) { return a * 16 + b; }));
};

std::vector<int> roots_of(int size) {
    std::vector<int> roots{0, size / 2, size - 1};
    std::sort(roots.begin(), roots.end());
    roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
    return roots;
}

// ---- one job per world size ----------------------------------------------------

void byte_operations(Peer& p, std::size_t count) {
    const int n = p.size(), me = p.rank();
    for (int root : roots_of(n)) {
        std::vector<int32_t> b = me == root ? data_of(root, count) : std::vector<int32_t>(count, -1);
        p.bcast(b, root);
        for (std::size_t i = 0; i < count; ++i) expect_at("bcast", root, count, i, b[i], value(root, i));

        std::vector<int32_t> all(me == root ? count * n : 0, -1);
        p.gather(data_of(me, count), all, root);
        if (me == root)
            for (int src = 0; src < n; ++src)
                for (std::size_t i = 0; i < count; ++i)
                    expect_at("gather", root, count, i, all[src * count + i], value(src, i));

        std::vector<int32_t> parts;
        if (me == root)
            for (int dst = 0; dst < n; ++dst)
                for (std::size_t i = 0; i < count; ++i) parts.push_back(value(dst, i) + root);
        std::vector<int32_t> part(count, -1);
        p.scatter(parts, part, root);
        for (std::size_t i = 0; i < count; ++i)
            expect_at("scatter", root, count, i, part[i], value(me, i) + root);
    }
    std::vector<int32_t> everyone(count * n, -1);
    p.allgather(data_of(me, count), everyone);
    for (int src = 0; src < n; ++src)
        for (std::size_t i = 0; i < count; ++i)
            expect_at("allgather", -1, count, i, everyone[src * count + i], value(src, i));

    // Point to point around the ring, two messages per pair in a row (the
    // n-th send matches the n-th receive), every peer sending first.
    if (n > 1) {
        int next = (me + 1) % n, prev = (me + n - 1) % n;
        p.send(data_of(me, count), next);
        p.send(data_of(me + 50, count), next);
        std::vector<int32_t> first(count, -1), second(count, -1);
        p.recv(first, prev);
        p.recv(second, prev);
        for (std::size_t i = 0; i < count; ++i) {
            expect_at("recv", prev, count, i, first[i], value(prev, i));
            expect_at("recv", prev, count, i, second[i], value(prev + 50, i));
        }
    }
    p.barrier();
}

void reductions(Peer& p, const Reductions& fns, std::size_t count) {
    const int n = p.size(), me = p.rank();
    std::vector<int64_t> sums(count);
    std::vector<Mat> mats(count);
    std::vector<uint64_t> digits(count);
    for (std::size_t i = 0; i < count; ++i) {
        sums[i] = sum_input(me, i);
        mats[i] = Mat{1, mat_param(me, i), 0, 2};
        digits[i] = digit(me, i);
    }
    for (int root : roots_of(n)) {
        std::vector<int64_t> s(me == root ? count : 0);
        p.reduce(sums, s, root, fns.sum);
        std::vector<Mat> m(me == root ? count : 0);
        p.reduce(mats, m, root, fns.mat);
        std::vector<uint64_t> c(me == root ? count : 0);
        p.reduce(digits, c, root, fns.concat);
        if (me != root) continue;
        for (std::size_t i = 0; i < count; ++i) {
            expect_at("reduce sum", root, count, i, s[i], sum_prefix(n - 1, i));
            expect_at("reduce matrix", root, count, i, m[i], mat_prefix(n - 1, i));
            expect_at("reduce concat", root, count, i, c[i], concat_prefix(n - 1, i));
        }
    }
    // allreduce and scan, the sum one in place (in and out the same buffer)
    std::vector<int64_t> s = sums;
    p.allreduce(s, s, fns.sum);
    std::vector<Mat> m(count);
    p.allreduce(mats, m, fns.mat);
    std::vector<uint64_t> c(count);
    p.allreduce(digits, c, fns.concat);
    for (std::size_t i = 0; i < count; ++i) {
        expect_at("allreduce sum", -1, count, i, s[i], sum_prefix(n - 1, i));
        expect_at("allreduce matrix", -1, count, i, m[i], mat_prefix(n - 1, i));
        expect_at("allreduce concat", -1, count, i, c[i], concat_prefix(n - 1, i));
    }
    s = sums;
    p.scan(s, s, fns.sum);
    p.scan(mats, m, fns.mat);
    std::vector<uint64_t> d = digits;
    p.scan(d, d, fns.concat);
    for (std::size_t i = 0; i < count; ++i) {
        expect_at("scan sum", -1, count, i, s[i], sum_prefix(me, i));
        expect_at("scan matrix", -1, count, i, m[i], mat_prefix(me, i));
        expect_at("scan concat", -1, count, i, d[i], concat_prefix(me, i));
    }
    // the caller's inputs are never modified
    for (std::size_t i = 0; i < count; ++i) check(mats[i] == (Mat{1, mat_param(me, i), 0, 2}), "matrix input modified");
}

class RedisMatrix : public WithRedisServer<::testing::TestWithParam<int>> {};

TEST_P(RedisMatrix, EveryOperationEverySizeLeavesNoKey) {
    const int n = GetParam();
    RedisOptions options = server_->options();
    options.chunk_bytes = 100;  // multi-chunk paths with small data
    std::string comm = unique_comm("matrix");
    Reductions fns;
    run_all(n, comm, options, [&](Peer& p) {
        for (std::size_t count : {0, 1, 7, 26, 1001}) byte_operations(p, count);
        for (std::size_t count : {0, 1, 7, 13, 301}) reductions(p, fns, count);
        p.finalize();
    });
    EXPECT_EQ(server_->scan(keys_of(options.key_prefix, comm)), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(WorldSizes, RedisMatrix, ::testing::Range(1, 10),
                         [](const auto& info) { return "peers" + std::to_string(info.param); });

// Pinned algorithms (OpContext::algorithm, as the communicator passes a
// user's pin): each of the two algorithms of allgather, allreduce and scan,
// below and beyond the inline limit (100 B here), for every function; the
// exchange then carries each message inline whatever its size.

void pinned_collectives(Peer& p, const Reductions& fns, std::size_t count, bool exchange) {
    const int n = p.size(), me = p.rank();
    auto pinned = [&](detail::OpKind op, const char* other) {
        detail::OpContext ctx = p.collective(op);
        ctx.algorithm = exchange ? "exchange" : other;
        return ctx;
    };
    std::vector<int32_t> everyone(count * n, -1);
    p.backend().allgather(bytes_of(data_of(me, count)), writable(everyone),
                          pinned(detail::OpKind::allgather, "publish"));
    for (int src = 0; src < n; ++src)
        for (std::size_t i = 0; i < count; ++i)
            expect_at("pinned allgather", -1, count, i, everyone[src * count + i], value(src, i));

    std::vector<int64_t> sums(count), s(count);
    std::vector<Mat> mats(count), m(count);
    std::vector<uint64_t> digits(count), c(count);
    for (std::size_t i = 0; i < count; ++i) {
        sums[i] = sum_input(me, i);
        mats[i] = Mat{1, mat_param(me, i), 0, 2};
        digits[i] = digit(me, i);
    }
    // Every function through `run`, each result against the fold of peers
    // 0..last (allreduce: all of them; scan: up to this peer).
    const auto check_folds = [&](const std::string& what, detail::OpKind op, const char* other, int last) {
        const auto run = [&](auto& in, auto& out, const ReduceFn& fn) {
            if (op == detail::OpKind::allreduce) p.backend().allreduce(bytes_of(in), writable(out), fn, pinned(op, other));
            else p.backend().scan(bytes_of(in), writable(out), fn, pinned(op, other));
        };
        run(sums, s, fns.sum);
        run(mats, m, fns.mat);
        run(digits, c, fns.concat);
        for (std::size_t i = 0; i < count; ++i) {
            expect_at((what + " sum").c_str(), -1, count, i, s[i], sum_prefix(last, i));
            expect_at((what + " matrix").c_str(), -1, count, i, m[i], mat_prefix(last, i));
            expect_at((what + " concat").c_str(), -1, count, i, c[i], concat_prefix(last, i));
        }
    };
    check_folds("pinned allreduce", detail::OpKind::allreduce, "reduce_publish", n - 1);
    check_folds("pinned scan", detail::OpKind::scan, "publish_prefix", me);
}

class RedisPinned : public WithRedisServer<::testing::TestWithParam<int>> {};

TEST_P(RedisPinned, EachAlgorithmAtEverySizeForEveryFunctionLeavesNoKey) {
    const int n = GetParam();
    RedisOptions options = server_->options();
    options.chunk_bytes = 100;  // inline limit 100 B: 1 element fits, 13 and 301 do not
    std::string comm = unique_comm("pinned");
    Reductions fns;
    run_all(n, comm, options, [&](Peer& p) {
        for (bool exchange : {true, false})
            for (std::size_t count : {0, 1, 13, 301}) pinned_collectives(p, fns, count, exchange);
        // a name the backend does not run is refused before anything is sent
        detail::OpContext ctx = p.collective(detail::OpKind::allreduce);
        ctx.algorithm = "ring";
        std::vector<int64_t> x(3, 1), y(3);
        try {
            p.backend().allreduce(bytes_of(x), writable(y), fns.sum, ctx);
            check(false, "allreduce by ring was accepted");
        } catch (const UsageError& e) {
            check(std::string(e.what()).find("no algorithm 'ring' (exchange, reduce_publish)") != std::string::npos,
                  e.what());
        }
        p.finalize();
    });
    EXPECT_EQ(server_->scan(keys_of(options.key_prefix, comm)), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(WorldSizes, RedisPinned, ::testing::Values(2, 3, 4),
                         [](const auto& info) { return "peers" + std::to_string(info.param); });

// One large message with the default 4 MiB chunks: 16 MiB through p2p, bcast
// and allreduce.
TEST(RedisLarge, SixteenMebibytes) {
    RedisServer server;
    RedisOptions options = server.options();
    const std::size_t count = (16u << 20) / sizeof(int64_t);
    std::string comm = unique_comm("large");
    ReduceFn sum = make_reduce<int64_t>(Op::sum);
    run_all(3, comm, options, [&](Peer& p) {
        std::vector<int64_t> mine(count), out(count);
        for (std::size_t i = 0; i < count; ++i) mine[i] = sum_input(p.rank(), i);
        p.allreduce(mine, out, sum);
        for (std::size_t i = 0; i < count; ++i) expect_at("allreduce 16 MiB", -1, count, i, out[i], sum_prefix(2, i));
        std::vector<int64_t> b = p.rank() == 1 ? mine : std::vector<int64_t>(count, 0);
        p.bcast(b, 1);
        for (std::size_t i = 0; i < count; ++i) expect_at("bcast 16 MiB", 1, count, i, b[i], sum_input(1, i));
        if (p.rank() == 0) p.send(mine, 2);
        if (p.rank() == 2) {
            p.recv(out, 0);
            for (std::size_t i = 0; i < count; ++i) expect_at("recv 16 MiB", 0, count, i, out[i], sum_input(0, i));
        }
        p.finalize();
    });
    EXPECT_EQ(server.scan(keys_of(options.key_prefix, comm)), std::vector<std::string>{});
}

}  // namespace
}  // namespace fmi::test
