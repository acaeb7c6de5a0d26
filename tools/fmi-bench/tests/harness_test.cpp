// Tests of fmi-bench's harness: statistics against closed forms, option and
// size parsing, the iteration plan, and the measurement loops and result
// checks run on an in-process system of threads (thread_system.hpp),
// including deliberately wrong collectives that the checks must catch.
#include "harness/measure.hpp"
#include "harness/options.hpp"
#include "harness/plan.hpp"
#include "harness/run.hpp"
#include "harness/statistics.hpp"
#include "thread_system.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <exception>
#include <sstream>
#include <thread>

namespace fmibench {
namespace {

using test::Fault;
using test::ThreadWorld;

TEST(Statistics, QuantilesInterpolateLinearly) {
    // 1..11: the q-quantile of n+1 evenly spaced values is 1 + 10q.
    std::vector<double> v;
    for (int i = 11; i >= 1; --i) v.push_back(i);
    Summary s = summarize(v);
    EXPECT_EQ(s.count, 11u);
    EXPECT_DOUBLE_EQ(s.median, 6.0);
    EXPECT_DOUBLE_EQ(s.p10, 2.0);
    EXPECT_DOUBLE_EQ(s.p90, 10.0);
    EXPECT_DOUBLE_EQ(s.min, 1.0);
    EXPECT_DOUBLE_EQ(s.max, 11.0);
    EXPECT_DOUBLE_EQ(s.mean, 6.0);
    // Between neighbours: median of {1, 2} is 1.5; p90 of {0, 10} is 9.
    EXPECT_DOUBLE_EQ(summarize({2.0, 1.0}).median, 1.5);
    EXPECT_DOUBLE_EQ(summarize({0.0, 10.0}).p90, 9.0);
    EXPECT_EQ(summarize({}).count, 0u);
}

TEST(Options, ParsesSizesWithBinaryUnits) {
    EXPECT_EQ(parse_size("8"), 8u);
    EXPECT_EQ(parse_size("1K"), 1024u);
    EXPECT_EQ(parse_size("16KiB"), 16u * 1024);
    EXPECT_EQ(parse_size("64M"), 64u << 20);
    EXPECT_EQ(parse_size("1G"), 1u << 30);
    EXPECT_THROW(parse_size("12X"), OptionError);
    EXPECT_THROW(parse_size(""), OptionError);
    EXPECT_THROW(parse_size("-1"), OptionError);
}

TEST(Options, ParsesTheSharedOptions) {
    BenchOptions o = parse_options({"--op", "allreduce,bcast", "--sizes=8,1K", "--iterations", "7", "--warmup", "0",
                                    "--window", "3", "--json", "x.json", "--no-check", "--root", "2"});
    EXPECT_EQ(o.ops, (std::vector<Op>{Op::allreduce, Op::bcast}));
    EXPECT_EQ(o.sizes, (std::vector<std::size_t>{8, 1024}));
    EXPECT_EQ(o.iterations, 7);
    EXPECT_EQ(o.warmup, 0);
    EXPECT_EQ(o.window, 3);
    EXPECT_EQ(o.json_path, "x.json");
    EXPECT_FALSE(o.check);
    EXPECT_EQ(o.root, 2);
    EXPECT_EQ(parse_options({"--op", "all"}).ops, all_ops());
    EXPECT_EQ(parse_options({}).ops, all_ops());
    EXPECT_EQ(parse_options({"--iters=9"}).iterations, 9);  // the short spelling
}

TEST(Options, RejectsBadInputNamingTheOption) {
    auto message = [](std::vector<std::string> args) {
        try {
            parse_options(args);
        } catch (const OptionError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message({"--op", "allreduse"}).find("unknown operation 'allreduse'"), std::string::npos);
    EXPECT_NE(message({"--iterations", "0"}).find("--iterations"), std::string::npos);
    EXPECT_NE(message({"--sizes", "8,"}).find("--sizes"), std::string::npos);
    EXPECT_NE(message({"--min", "2K", "--max", "1K"}).find("--min"), std::string::npos);
    EXPECT_NE(message({"--frobnicate"}).find("unknown option '--frobnicate'"), std::string::npos);
    EXPECT_NE(message({"--json"}).find("--json: missing value"), std::string::npos);
}

TEST(Options, AcceptsProgramSpecificOptions) {
    std::string mode;
    bool flag = false;
    std::vector<ExtraOption> extras{{"--mode", "M", "a mode", [&](const std::string& v) { mode = v; }},
                                    {"--fast", "", "a flag", [&](const std::string&) { flag = true; }}};
    parse_options({"--mode", "busy-poll", "--fast"}, extras);
    EXPECT_EQ(mode, "busy-poll");
    EXPECT_TRUE(flag);
    EXPECT_THROW(parse_options({"--fast=1"}, extras), OptionError);
    EXPECT_NE(usage("synopsis", extras).find("--mode M"), std::string::npos);
}

TEST(Plan, DefaultSizesArePowersOfTwoPlusOddOnes) {
    BenchOptions o;
    o.min_bytes = 2;
    o.max_bytes = 1024;
    std::vector<std::size_t> expected{2, 3, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1024};
    EXPECT_EQ(message_sizes(o), expected);
    o.sizes = {64, 8, 64};
    EXPECT_EQ(message_sizes(o), (std::vector<std::size_t>{8, 64}));
}

TEST(Plan, BigMessagesGetFewerIterationsAndSmallerWindows) {
    BenchOptions o;  // 1000 iterations, 128 MiB budget, at least 5, window 64 within 16 MiB
    SizePlan small = plan_for(o, Op::allreduce, 8, 4);
    EXPECT_EQ(small.iterations, 1000);
    EXPECT_EQ(small.warmup, 100);
    EXPECT_EQ(small.batches, 20);
    SizePlan mid = plan_for(o, Op::allreduce, 1 << 20, 4);
    EXPECT_EQ(mid.iterations, 128);  // 128 MiB / 1 MiB
    SizePlan big = plan_for(o, Op::allreduce, 64 << 20, 4);
    EXPECT_EQ(big.iterations, 5);  // 2 affordable, raised to the minimum
    EXPECT_EQ(big.warmup, 1);
    EXPECT_EQ(big.batches, 5);
    SizePlan tiny = plan_for(o, Op::bandwidth, 8, 2);
    EXPECT_EQ(tiny.window, 64);
    EXPECT_EQ(tiny.iterations, 16);  // windows: 1000 messages / 64 per window, rounded up
    EXPECT_EQ(plan_for(o, Op::bandwidth, 1 << 20, 2).window, 16);
    SizePlan stream = plan_for(o, Op::bandwidth, 64 << 20, 2);
    EXPECT_EQ(stream.window, 1);
    EXPECT_EQ(stream.batches, stream.iterations);  // one sample per window
}

TEST(Plan, FitToTimeCutsSlowSizesButKeepsTheMinimum) {
    BenchOptions o;  // 2 s per size, at least 5 iterations
    SizePlan plan = plan_for(o, Op::allreduce, 8, 4);
    ASSERT_EQ(plan.iterations, 1000);
    fit_to_time(plan, 0.001, plan.max_seconds);  // 1 ms each: 2000 fit, keep 1000
    EXPECT_EQ(plan.iterations, 1000);
    fit_to_time(plan, 0.004, plan.max_seconds);  // 4 ms each: 500 fit
    EXPECT_EQ(plan.iterations, 500);
    EXPECT_EQ(plan.batches, 20);
    fit_to_time(plan, 10.0, plan.max_seconds);   // 10 s each: the minimum
    EXPECT_EQ(plan.iterations, 5);
    EXPECT_EQ(plan.batches, 5);
    fit_to_time(plan, 0.0, plan.max_seconds);    // no estimate: unchanged
    EXPECT_EQ(plan.iterations, 5);
    SizePlan windows = plan_for(o, Op::bandwidth, 8, 2);
    fit_to_time(windows, 0.25, 2.0);             // 8 windows of 0.25 s
    EXPECT_EQ(windows.iterations, 8);
    EXPECT_EQ(windows.batches, 8);               // one sample per window
    EXPECT_THROW(parse_options({"--max-time", "-1"}), OptionError);
    EXPECT_DOUBLE_EQ(parse_options({"--max-time", "0.5"}).max_seconds, 0.5);
}

TEST(Plan, ReductionsUseWholeFloatsAndGatherNeedsPeersTimesTheSize) {
    BenchOptions o;
    EXPECT_EQ(plan_for(o, Op::allreduce, 3, 2).bytes, 4u);
    EXPECT_EQ(plan_for(o, Op::scan, 1000003, 2).bytes, 1000000u);
    SizePlan gather = plan_for(o, Op::gather, 100, 5);
    EXPECT_EQ(gather.in_bytes, 100u);
    EXPECT_EQ(gather.out_bytes, 500u);
    SizePlan scatter = plan_for(o, Op::scatter, 100, 5);
    EXPECT_EQ(scatter.in_bytes, 500u);
    EXPECT_EQ(scatter.out_bytes, 100u);
    o.max_memory = 1000;
    EXPECT_NE(plan_for(o, Op::allgather, 200, 5).skip.find("--max-memory"), std::string::npos);
    EXPECT_NE(plan_for(o, Op::pingpong, 8, 1).skip.find("2 peers"), std::string::npos);
    o.root = 3;
    EXPECT_NE(plan_for(o, Op::bcast, 8, 3).skip.find("root 3"), std::string::npos);
}

TEST(Plan, RunPlansTheBarrierOnceAndRoundedSizesOnce) {
    BenchOptions o;
    o.ops = {Op::barrier, Op::allreduce};
    o.sizes = {1, 2, 3, 4, 8};  // 1..4 all round to one float
    std::vector<SizePlan> plans = plan_run(o, 2);
    ASSERT_EQ(plans.size(), 3u);
    EXPECT_EQ(plans[0].op, Op::barrier);
    EXPECT_EQ(plans[1].bytes, 4u);
    EXPECT_EQ(plans[2].bytes, 8u);
}

// Runs `body(system)` on every thread of an n-thread world; rethrows the first failure.
template <class Body>
void on_threads(int n, Fault fault, Body body) {
    ThreadWorld world(n, fault);
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
    std::vector<std::thread> threads;
    for (int r = 0; r < n; ++r)
        threads.emplace_back([&, r] {
            try {
                test::ThreadSystem system(world, r);
                body(system);
            } catch (...) {
                errors[static_cast<std::size_t>(r)] = std::current_exception();
            }
        });
    for (auto& t : threads) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

BenchOptions small_run() {
    BenchOptions o;
    o.sizes = {1, 3, 1000, 4099};
    o.iterations = 6;
    o.batches = 3;
    o.root = 1;
    o.quiet = true;
    return o;
}

TEST(Measure, EveryOperationRunsAndChecksOnACorrectSystem) {
    for (int n : {2, 3, 5}) {
        std::vector<std::vector<Result>> all(static_cast<std::size_t>(n));
        on_threads(n, Fault::none, [&](System& s) {
            std::ostringstream table;
            all[static_cast<std::size_t>(s.rank())] = run_benchmarks(s, small_run(), table);
        });
        const std::vector<Result>& results = all[0];
        // 2 point-to-point ops x 4 sizes, barrier once, 4 byte collectives x 4
        // sizes, 3 reductions x 3 float sizes (1 and 3 both round to 4).
        EXPECT_EQ(results.size(), 2u * 4 + 1 + 4 * 4 + 3 * 3) << n << " peers";
        for (const Result& r : results) {
            ASSERT_TRUE(r.plan.skip.empty()) << to_string(r.plan.op);
            ASSERT_TRUE(r.checked.has_value());
            EXPECT_TRUE(*r.checked) << to_string(r.plan.op) << " " << r.plan.bytes;
            EXPECT_EQ(r.samples.size(), static_cast<std::size_t>(r.plan.batches));
            EXPECT_GT(r.time.median, 0.0) << to_string(r.plan.op) << " " << r.plan.bytes;
        }
        // Every peer gets the same samples: the slowest peer's.
        for (int p = 1; p < n; ++p)
            for (std::size_t i = 0; i < results.size(); ++i)
                EXPECT_EQ(all[static_cast<std::size_t>(p)][i].samples, results[i].samples);
    }
}

TEST(Measure, ChecksCatchWrongResults) {
    struct Case {
        Fault fault;
        Op op;
    };
    for (Case c : {Case{Fault::scan_as_allreduce, Op::scan}, Case{Fault::bcast_skips_last_byte, Op::bcast},
                   Case{Fault::gather_swaps_blocks, Op::gather}}) {
        BenchOptions o = small_run();
        o.ops = {c.op};
        try {
            on_threads(3, c.fault, [&](System& s) {
                std::ostringstream table;
                run_benchmarks(s, o, table);
            });
            ADD_FAILURE() << "a wrong " << to_string(c.op) << " passed the check";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(std::string("wrong ") + to_string(c.op)), std::string::npos) << e.what();
        }
    }
}

TEST(Measure, UnsupportedOperationsAreSkippedNotRun) {
    class NoScan final : public System {
    public:
        NoScan(ThreadWorld& w, int r) : inner_(w, r) {}
        int rank() const override { return inner_.rank(); }
        int size() const override { return inner_.size(); }
        std::string name() const override { return "noscan"; }
        std::string transport() const override { return "memory"; }
        bool supports(Op op) const override { return op != Op::scan; }
        void send(ConstBytes d, int p) override { inner_.send(d, p); }
        void recv(MutableBytes d, int p) override { inner_.recv(d, p); }
        void barrier() override { inner_.barrier(); }
        void allreduce_sum(std::span<const float> in, std::span<float> out) override { inner_.allreduce_sum(in, out); }
        void max_over_peers(std::span<double> v) override { inner_.max_over_peers(v); }

    private:
        test::ThreadSystem inner_;
    };
    BenchOptions o = small_run();
    o.ops = {Op::allreduce, Op::scan};
    o.sizes = {8};
    o.quiet = false;
    ThreadWorld world(2);
    std::vector<Result> results;
    std::thread other([&] {
        NoScan s(world, 1);
        std::ostringstream table;
        run_benchmarks(s, o, table);
    });
    NoScan s(world, 0);
    std::ostringstream table;
    results = run_benchmarks(s, o, table);
    other.join();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_TRUE(results[0].plan.skip.empty());
    EXPECT_EQ(results[1].plan.skip, "not implemented by noscan");
    EXPECT_NE(table.str().find("skipped: not implemented by noscan"), std::string::npos);
}

}  // namespace
}  // namespace fmibench
