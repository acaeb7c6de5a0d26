// Pinned algorithms really run (issue 6): real processes with a real
// rendezvous server (and a real redis-server for the Redis cases) run
// algorithm_pin_peer.cpp, which pins the allreduce algorithm, checks the
// model's explanation and two closed-form results. Here each peer's debug
// log must show the backend running the pinned algorithm — the line the
// backend writes as it dispatches — and the non-commutative allreduce
// running the ordered algorithm on the direct channel whatever the pin.
// Each case pins an algorithm the automatic choice would not take at that
// size, so a pin that were ignored would show.
#include "harness.hpp"

#ifdef FMI_TEST_HAVE_REDIS
#include "../redis/redis_harness.hpp"
#endif

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <ostream>
#include <regex>
#include <string>
#include <unistd.h>

#ifndef FMI_ALGORITHM_PIN_PEER
#error "FMI_ALGORITHM_PIN_PEER must name the peer executable"
#endif

namespace fmi_test {
namespace {

struct Case {
    int peers;
    std::string algorithm;
    std::size_t elements;  // of 8 bytes
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.algorithm << " at " << c.peers << " peers, " << c.elements * 8 << " B";
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
    return info.param.algorithm + "_np" + std::to_string(info.param.peers) + "_" +
           std::to_string(info.param.elements * 8) + "B";
}

JobOptions job(const Case& c, const std::string& how) {
    JobOptions o;
    o.peers = c.peers;
    o.program = FMI_ALGORITHM_PIN_PEER;
    o.args = {how, c.algorithm, std::to_string(c.elements)};
    o.env["FMI_TIMEOUT_MS"] = "20000";
    o.env["FMI_LOG_LEVEL"] = "debug";
    o.timeout = std::chrono::seconds(90);
    return o;
}

/// The backend's dispatch line for an allreduce of `bytes` at `peers` by `algorithm`.
bool ran(const std::string& output, const Case& c, const std::string& algorithm) {
    const std::regex line("allreduce #[0-9]+: " + std::to_string(c.elements * 8) + " bytes over " +
                          std::to_string(c.peers) + " peers by " + algorithm + "\n");
    return std::regex_search(output, line);
}

/// Every peer succeeded, ran the sum by `sum_by` and the left-to-right fold by `fold_by`.
void expect_ran(const std::vector<PeerResult>& results, const Case& c, const std::string& sum_by,
                const std::string& fold_by) {
    const std::string all = describe(results);
    for (const PeerResult& p : results) {
        EXPECT_EQ(p.exit_code, 0) << all;
        EXPECT_NE(p.output.find("results ok"), std::string::npos) << all;
        EXPECT_TRUE(ran(p.output, c, sum_by)) << "no allreduce by " << sum_by << "\n" << all;
        EXPECT_TRUE(ran(p.output, c, fold_by)) << "no allreduce by " << fold_by << "\n" << all;
    }
}

// ---- direct -----------------------------------------------------------------

class DirectPin : public testing::TestWithParam<Case> {};

TEST_P(DirectPin, RunsThePinnedAlgorithmAndOrderedForNonCommutativeFunctions) {
    const Case& c = GetParam();
    expect_ran(run_job(job(c, "pin")), c, c.algorithm, "ordered");
}

// 40000 elements (320000 B) are above the recursive-doubling limit (128 KiB),
// 1001 (8008 B, an odd count) below it: every case differs from the automatic choice.
INSTANTIATE_TEST_SUITE_P(Allreduce, DirectPin,
                         testing::Values(Case{4, "recursive_doubling", 40000}, Case{4, "rabenseifner", 1001},
                                         Case{4, "ring", 1001}, Case{3, "ring", 1001},
                                         Case{3, "rabenseifner", 1001}),
                         case_name);

TEST(ConfigPin, TheModelSectionsPinRunsToo) {
    const Case c{3, "ring", 1001};
    const std::string path = testing::TempDir() + "fmi_algorithm_pin_" + std::to_string(::getpid()) + ".json";
    {
        std::ofstream out(path);
        out << R"({"model": {"pin": {"allreduce": "direct/ring"}}})";
    }
    JobOptions o = job(c, "config");
    o.env["FMI_MODEL"] = path;
    auto results = run_job(o);
    std::remove(path.c_str());
    expect_ran(results, c, "ring", "ordered");
}

// ---- redis ------------------------------------------------------------------

#ifdef FMI_TEST_HAVE_REDIS
class RedisPin : public fmi::test::WithRedisServer<testing::TestWithParam<Case>> {};

TEST_P(RedisPin, RunsThePinnedAlgorithmForEveryFunctionAndLeavesNoKeys) {
    const Case& c = GetParam();
    JobOptions o = job(c, "pin");
    // Direct stays enabled: the pin alone makes Redis the only candidate.
    o.env["FMI_REDIS_ENABLED"] = "true";
    o.env["FMI_REDIS_PORT"] = std::to_string(server_->port());
    o.env["FMI_COMM"] = fmi::test::unique_comm("algorithm-pin");
    auto results = run_job(o);
    // both algorithms fold strictly left to right when the function needs it
    expect_ran(results, c, c.algorithm, c.algorithm);
    for (const PeerResult& p : results)
        EXPECT_NE(p.output.find("chosen redis"), std::string::npos) << describe(results);
    EXPECT_TRUE(server_->scan(fmi::test::keys_of("fmi", o.env["FMI_COMM"])).empty());
}

// 40000 elements at 4 peers are far beyond the exchange's inline limit (64
// KiB for all N messages), where the automatic choice is reduce + publish;
// 3 elements at 3 peers fit inline, where it is the exchange.
INSTANTIATE_TEST_SUITE_P(Allreduce, RedisPin,
                         testing::Values(Case{4, "exchange", 40000}, Case{3, "reduce_publish", 3}), case_name);
#endif

}  // namespace
}  // namespace fmi_test
