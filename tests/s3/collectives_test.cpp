// Every operation over S3, for world sizes 1..9, every kind of root, payloads
// of 0, 1, an odd number and a multipart-sized number of elements, a
// commutative and a non-commutative, non-associative function, with
// closed-form expected values. Each operation's requests are counted per
// rank and asserted against the formulas of docs/algorithms/s3.md, and
// after each job no object of the communicator remains in the bucket.
#include "collectives/s3/algorithms.hpp"
#include "s3_harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>

namespace fmi::test {
namespace {

using Elem = std::uint64_t;
constexpr std::size_t kThreshold = 16 * 1024;  // rgw_options().multipart_threshold
constexpr Elem kMul = 31;

// The payload sizes, in elements: empty, one, odd, and above the multipart
// threshold (2,500 x 8 bytes = 20,000 bytes: two parts).
const std::vector<std::size_t> kCounts = {0, 1, 37, 2'500};

// Peer p's value at element i of step s (distinct everywhere).
Elem value(int p, std::size_t i, int step) {
    return Elem(p + 1) * 1'000'003u + Elem(i) * 7u + Elem(step) * 1'009u;
}

std::vector<Elem> values(int p, std::size_t count, int step) {
    std::vector<Elem> v(count);
    for (std::size_t i = 0; i < count; ++i) v[i] = value(p, i, step);
    return v;
}

// f(a, b) = a * 31 + b: neither commutative nor associative, so only the
// strict left-to-right order x0, x1, ... gives the expected value.
ReduceFn ordered_fn() {
    return make_reduce(function<Elem>([](const Elem& a, const Elem& b) { return a * kMul + b; }));
}

// Expected reduction of peers [0, upto] at element i.
Elem expected_reduction(bool ordered, int upto, std::size_t i, int step) {
    Elem acc = value(0, i, step);
    for (int p = 1; p <= upto; ++p) acc = ordered ? acc * kMul + value(p, i, step) : acc + value(p, i, step);
    return acc;
}

// ---- request formulas (docs/algorithms/s3.md) -----------------------------

std::uint64_t puts_for(std::size_t bytes) {  // one object of `bytes`
    return bytes <= kThreshold ? 1 : (bytes + kThreshold - 1) / kThreshold + 2;
}
std::uint64_t gets_for(std::size_t bytes) {  // one read of `bytes`
    return std::max<std::uint64_t>(1, (bytes + kThreshold - 1) / kThreshold);
}

struct Expected {
    std::uint64_t put = 0, get = 0, list = 0;
};

Expected formula(OpKind op, int n, std::size_t b) {
    const std::uint64_t others = static_cast<std::uint64_t>(n - 1);
    if (n == 1 && op != OpKind::send) return {};
    // The root's wait for n - 1 contributions of b bytes: one LIST (and a
    // GET per non-empty object) when n > 2; one GET poll, also the read, when n = 2.
    const std::uint64_t collect_list = n > 2 ? 1 : 0;
    const std::uint64_t collect_gets = n > 2 ? (b == 0 ? 0 : others * gets_for(b)) : gets_for(b);
    switch (op) {
        case OpKind::send: return {n * puts_for(b), n * gets_for(b), 0};  // a ring: n messages
        case OpKind::bcast: return {puts_for(b), others * gets_for(b), 0};
        case OpKind::barrier: return {static_cast<std::uint64_t>(n), others + (n == 2 ? 1 : 0), collect_list};
        case OpKind::gather:
        case OpKind::reduce: return {others * puts_for(b), collect_gets, collect_list};
        case OpKind::scatter: return {puts_for(n * b), others * gets_for(b), 0};
        case OpKind::allgather:
            return {others * puts_for(b) + puts_for(n * b), collect_gets + others * gets_for(n * b), collect_list};
        case OpKind::allreduce:
            return {others * puts_for(b) + puts_for(b), collect_gets + others * gets_for(b), collect_list};
        case OpKind::scan:
            return {others * puts_for(b) + puts_for((n - 1) * b), collect_gets + others * gets_for(b), collect_list};
    }
    return {};
}

// What one step cost, summed over ranks.
struct StepRecord {
    std::string name;
    OpKind op;
    std::size_t bytes;
    RequestCounts total;
};

class Recorder {
public:
    explicit Recorder(int n) : n_(n) {}
    // Runs one operation on a rank and adds its requests to step `step`.
    template <class F>
    void step(Peer& peer, int step, const std::string& name, OpKind op, std::size_t bytes, F&& f) {
        RequestCounts before = peer.counts();
        f();
        RequestCounts delta = peer.counts() - before;
        std::lock_guard lock(mutex_);
        if (records_.size() <= static_cast<std::size_t>(step)) records_.resize(step + 1);
        StepRecord& r = records_[step];
        r.name = name;
        r.op = op;
        r.bytes = bytes;
        add(r.total, delta);
    }
    void check() const {
        for (const StepRecord& r : records_) {
            SCOPED_TRACE(r.name + " n=" + std::to_string(n_) + ": " + r.total.to_string());
            Expected e = formula(r.op, n_, r.bytes);
            EXPECT_EQ(r.total.put, e.put);
            EXPECT_EQ(r.total.get - r.total.get_misses, e.get);
            EXPECT_EQ(r.total.list - r.total.list_incomplete - r.total.list_diagnostic, e.list);
            EXPECT_EQ(r.total.head, 0u);
            EXPECT_EQ(r.total.retries, 0u);
            // Deletes are batched (1000 keys per request), so an operation
            // makes at most one per rank, and these short jobs none.
            EXPECT_EQ(r.total.del, 0u);
        }
    }
    std::size_t steps() const { return records_.size(); }

private:
    static void add(RequestCounts& a, const RequestCounts& b) {
        a.put += b.put;
        a.get += b.get;
        a.head += b.head;
        a.list += b.list;
        a.del += b.del;
        a.get_misses += b.get_misses;
        a.list_incomplete += b.list_incomplete;
        a.list_diagnostic += b.list_diagnostic;
        a.retries += b.retries;
    }
    int n_;
    std::mutex mutex_;
    std::vector<StepRecord> records_;
};

std::vector<int> roots_for(int n) {
    std::set<int> roots{0, n - 1, n / 2};
    return {roots.begin(), roots.end()};
}

// The whole program of one rank: every operation, size, root and function.
void program(Peer& peer, Recorder& rec) {
    const int n = peer.size, me = peer.rank;
    int step = 0;
    auto label = [](const char* op, std::size_t count, int root) {
        return std::string(op) + " count=" + std::to_string(count) + (root >= 0 ? " root=" + std::to_string(root) : "");
    };
    for (std::size_t count : kCounts) {
        const std::size_t bytes = count * sizeof(Elem);
        // Point to point: a ring, twice in a row (per-pair sequence numbers).
        for (int round = 0; round < 2; ++round, ++step) {
            const int next = (me + 1) % n, prev = (me + n - 1) % n;
            std::vector<Elem> in = values(me, count, step), out(count);
            rec.step(peer, step, label("send/recv", count, -1), OpKind::send, bytes, [&] {
                peer.backend.send(bytes_of(in), next, peer.to(next));
                peer.backend.recv(writable(out), prev, peer.from(prev));
            });
            EXPECT_EQ(out, values(prev, count, step)) << label("recv", count, -1);
        }
        for (int root : roots_for(n)) {
            {  // bcast
                std::vector<Elem> data = me == root ? values(root, count, step) : std::vector<Elem>(count, 0);
                rec.step(peer, step, label("bcast", count, root), OpKind::bcast, bytes,
                         [&] { peer.backend.bcast(writable(data), root, peer.collective(OpKind::bcast)); });
                EXPECT_EQ(data, values(root, count, step)) << label("bcast", count, root);
                ++step;
            }
            {  // gather
                std::vector<Elem> in = values(me, count, step), out(me == root ? n * count : 0);
                rec.step(peer, step, label("gather", count, root), OpKind::gather, bytes, [&] {
                    peer.backend.gather(bytes_of(in), writable(out), root, peer.collective(OpKind::gather));
                });
                if (me == root) {
                    for (int p = 0; p < n; ++p)
                        for (std::size_t i = 0; i < count; ++i)
                            ASSERT_EQ(out[p * count + i], value(p, i, step)) << label("gather", count, root);
                }
                ++step;
            }
            {  // scatter: block p of the root's input is values(p + 100)
                std::vector<Elem> in, out(count);
                if (me == root)
                    for (int p = 0; p < n; ++p) {
                        auto block = values(p + 100, count, step);
                        in.insert(in.end(), block.begin(), block.end());
                    }
                rec.step(peer, step, label("scatter", count, root), OpKind::scatter, bytes, [&] {
                    peer.backend.scatter(bytes_of(in), writable(out), root, peer.collective(OpKind::scatter));
                });
                EXPECT_EQ(out, values(me + 100, count, step)) << label("scatter", count, root);
                ++step;
            }
            for (bool ordered : {false, true}) {  // reduce, the result in place at the root
                std::vector<Elem> data = values(me, count, step);
                const std::vector<Elem> mine = data;
                ReduceFn fn = ordered ? ordered_fn() : make_reduce<Elem>(Op::sum);
                rec.step(peer, step, label(ordered ? "reduce(ordered)" : "reduce(sum)", count, root), OpKind::reduce,
                         bytes, [&] {
                             peer.backend.reduce(bytes_of(data), writable(data), root, fn,
                                                 peer.collective(OpKind::reduce));
                         });
                if (me == root) {
                    for (std::size_t i = 0; i < count; ++i)
                        ASSERT_EQ(data[i], expected_reduction(ordered, n - 1, i, step)) << label("reduce", count, root);
                } else {
                    EXPECT_EQ(data, mine) << "reduce changed a non-root's input";
                }
                ++step;
            }
        }
        {  // allgather
            std::vector<Elem> in = values(me, count, step), out(n * count);
            rec.step(peer, step, label("allgather", count, -1), OpKind::allgather, bytes,
                     [&] { peer.backend.allgather(bytes_of(in), writable(out), peer.collective(OpKind::allgather)); });
            for (int p = 0; p < n; ++p)
                for (std::size_t i = 0; i < count; ++i) ASSERT_EQ(out[p * count + i], value(p, i, step)) << "allgather";
            ++step;
        }
        for (bool ordered : {false, true}) {
            ReduceFn fn = ordered ? ordered_fn() : make_reduce<Elem>(Op::sum);
            {  // allreduce into a separate buffer; the input must stay as it was
                std::vector<Elem> in = values(me, count, step), out(count);
                rec.step(peer, step, label(ordered ? "allreduce(ordered)" : "allreduce(sum)", count, -1),
                         OpKind::allreduce, bytes, [&] {
                             peer.backend.allreduce(bytes_of(in), writable(out), fn, peer.collective(OpKind::allreduce));
                         });
                EXPECT_EQ(in, values(me, count, step));
                for (std::size_t i = 0; i < count; ++i)
                    ASSERT_EQ(out[i], expected_reduction(ordered, n - 1, i, step)) << "allreduce";
                ++step;
            }
            {  // inclusive scan, in place
                std::vector<Elem> data = values(me, count, step);
                rec.step(peer, step, label(ordered ? "scan(ordered)" : "scan(sum)", count, -1), OpKind::scan, bytes,
                         [&] { peer.backend.scan(bytes_of(data), writable(data), fn, peer.collective(OpKind::scan)); });
                for (std::size_t i = 0; i < count; ++i)
                    ASSERT_EQ(data[i], expected_reduction(ordered, me, i, step)) << "scan";
                ++step;
            }
        }
    }
    rec.step(peer, step, "barrier", OpKind::barrier, 0, [&] { peer.backend.barrier(peer.collective(OpKind::barrier)); });
    ++step;
}

class S3Collectives : public ::testing::TestWithParam<int> {};

TEST_P(S3Collectives, EveryOperationSizeRootAndFunction) {
    const int n = GetParam();
    const std::string comm = "matrix " + std::to_string(n);
    Recorder rec(n);
    JobResult job = run_job(n, comm, rgw_options(), [&](Peer& peer) { program(peer, rec); });
    ASSERT_TRUE(job.ok()) << job.describe();
    rec.check();
    EXPECT_GT(rec.steps(), 40u);

    // Nothing of the communicator is left in the bucket.
    TestClient t;
    detail::s3::KeySpace keys(rgw_options().key_prefix, comm);
    auto left = t.client.list_all(keys.root(), Deadline(std::chrono::milliseconds(10'000)));
    EXPECT_TRUE(left.empty()) << left.size() << " objects left, e.g. " << (left.empty() ? "" : left.front().key);
}

INSTANTIATE_TEST_SUITE_P(WorldSizes, S3Collectives, ::testing::Values(1, 2, 3, 4, 5, 6, 7, 8, 9),
                         [](const auto& info) { return "n" + std::to_string(info.param); });

// Two communicators whose names the original's concatenated keys confused
// ("App1" + "1" == "App" + "11") run at once in one bucket: each sees only
// its own objects and its cleanup leaves the other's alone.
TEST(S3Communicators, App1AndAppDoNotCollide) {
    auto job = [](const std::string& comm, Elem base) {
        return run_job(2, comm, rgw_options(), [base](Peer& peer) {
            for (int round = 0; round < 5; ++round) {
                std::vector<Elem> v{base + Elem(peer.rank) + Elem(round)}, sum(1);
                peer.backend.allreduce(bytes_of(v), writable(sum), make_reduce<Elem>(Op::sum),
                                       peer.collective(OpKind::allreduce));
                EXPECT_EQ(sum[0], 2 * base + 1 + 2 * Elem(round));
                std::vector<Elem> msg{base + 7}, got(1);
                const int other = 1 - peer.rank;
                peer.backend.send(bytes_of(msg), other, peer.to(other));
                peer.backend.recv(writable(got), other, peer.from(other));
                EXPECT_EQ(got[0], base + 7);
                peer.backend.barrier(peer.collective(OpKind::barrier));
            }
        });
    };
    JobResult app1, app;
    std::thread a([&] { app1 = job("App1", 1'000); });
    std::thread b([&] { app = job("App", 2'000); });
    a.join();
    b.join();
    EXPECT_TRUE(app1.ok()) << app1.describe();
    EXPECT_TRUE(app.ok()) << app.describe();
    TestClient t;
    Deadline d(std::chrono::milliseconds(10'000));
    EXPECT_TRUE(t.client.list_all(detail::s3::KeySpace("fmi-test", "App1").root(), d).empty());
    EXPECT_TRUE(t.client.list_all(detail::s3::KeySpace("fmi-test", "App").root(), d).empty());
}

// Objects read by everyone are deleted during the job once a later
// all-peer collective proves every peer is past them, in DeleteObjects
// batches of 1000, so a long job does not pile objects up until it ends.
TEST(S3Communicators, LongJobsDeleteAsTheyGo) {
    const std::string comm = "long job";
    std::atomic<std::uint64_t> deletes{0};
    std::atomic<std::size_t> peak{0};
    JobResult job = run_job(2, comm, rgw_options(), [&](Peer& peer) {
        for (int i = 0; i < 510; ++i) {
            std::vector<Elem> v{Elem(i)}, out(1);
            peer.backend.allreduce(bytes_of(v), writable(out), make_reduce<Elem>(Op::max),
                                   peer.collective(OpKind::allreduce));
            ASSERT_EQ(out[0], Elem(i));
        }
        deletes += peer.counts().del;
        if (peer.rank == 0) {
            TestClient t;
            peak = t.client.list_all(detail::s3::KeySpace("fmi-test", comm).root(),
                                     Deadline(std::chrono::milliseconds(10'000))).size();
        }
    });
    ASSERT_TRUE(job.ok()) << job.describe();
    // Peer 0 consumed 510 contributions and published 510 results, 509 of
    // them proven read: one full batch of 1000 (peer 1 deletes nothing: what
    // it reads, peer 0 published).
    EXPECT_EQ(deletes.load(), 1u);
    EXPECT_LT(peak.load(), 100u);  // of 1,020 objects written
}

}  // namespace
}  // namespace fmi::test

namespace fmi::test {
namespace {

// The factory the communicator calls builds a working backend (credentials
// from the options here; from the environment or the credentials file when
// the options have none).
TEST(S3Factory, MakesABackendThatRunsOperations) {
    const S3Options options = rgw_options();
    std::vector<std::exception_ptr> errors(2);
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r)
        threads.emplace_back([&, r] {
            try {
                detail::Logger log;
                auto backend = detail::make_s3_backend({r, 2, "factory"}, options, log);
                EXPECT_EQ(backend->name(), "s3");
                std::vector<Elem> v{Elem(r + 1)}, out(1);
                backend->allreduce(bytes_of(v), writable(out), make_reduce<Elem>(Op::sum),
                                   {OpKind::allreduce, 0, Deadline(std::chrono::milliseconds(20'000))});
                EXPECT_EQ(out[0], 3u);
                backend->finalize();
            } catch (...) {
                errors[r] = std::current_exception();
            }
        });
    for (auto& t : threads) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    TestClient t;
    EXPECT_TRUE(t.client.list_all(detail::s3::KeySpace("fmi-test", "factory").root(),
                                  Deadline(std::chrono::milliseconds(10'000))).empty());
}

}  // namespace
}  // namespace fmi::test
