// Failure behaviour across real processes: each test runs a scenario of
// peer_main.cpp as N processes and checks what every peer reported.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <regex>
#include <string>

#ifndef FMI_TEST_PEER
#error "FMI_TEST_PEER must name the peer executable"
#endif

namespace fmi_test {
namespace {

JobOptions job(int peers, std::vector<std::string> args) {
    JobOptions o;
    o.peers = peers;
    o.program = FMI_TEST_PEER;
    o.args = std::move(args);
    o.env["FMI_TIMEOUT_MS"] = "5000";
    o.timeout = std::chrono::seconds(60);
    return o;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// Seconds after which the peer reported its error ("after X.XX s").
double reported_seconds(const std::string& output) {
    std::smatch m;
    if (std::regex_search(output, m, std::regex("after ([0-9.]+) s"))) return std::stod(m[1]);
    return -1;
}

TEST(Failure, SendSizeMismatchNamesBothSizes) {
    auto r = run_job(job(2, {"size_mismatch", "send"}));
    ASSERT_EQ(r[1].exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r[1].output, "caught SizeMismatchError")) << describe(r);
    EXPECT_TRUE(contains(r[1].output, "40") && contains(r[1].output, "48")) << describe(r);
}

TEST(Failure, BcastSizeMismatchIsAnErrorNotATruncation) {
    auto r = run_job(job(2, {"size_mismatch", "bcast"}));
    ASSERT_EQ(r[1].exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r[1].output, "caught SizeMismatchError")) << describe(r);
    for (const auto& p : r) EXPECT_FALSE(p.timed_out) << describe(r);
}

TEST(Failure, InvalidRootIsAUsageErrorAndLeavesTheCommunicatorUsable) {
    for (int peers : {1, 3}) {
        auto r = run_job(job(peers, {"invalid_root"}));
        for (const auto& p : r) EXPECT_EQ(p.exit_code, 0) << describe(r);
    }
}

TEST(Failure, KilledPeerMakesEveryOtherPeerFailWithinTheTimeout) {
    auto r = run_job(job(4, {"killed_peer", "2"}));
    EXPECT_EQ(r[2].signal, SIGKILL) << describe(r);
    for (int p : {0, 1, 3}) {
        EXPECT_EQ(r[p].exit_code, 0) << describe(r);
        EXPECT_TRUE(contains(r[p].output, "caught PeerLostError") || contains(r[p].output, "caught TimeoutError"))
            << describe(r);
        // FMI_TIMEOUT_MS is 5 s; allow the connection set-up and a margin.
        EXPECT_LT(reported_seconds(r[p].output), 15.0) << describe(r);
    }
}

TEST(Failure, CollectiveMismatchIsReportedAndNobodyHangs) {
    auto r = run_job(job(3, {"collective_mismatch"}));
    int mismatches = 0;
    for (const auto& p : r) {
        EXPECT_FALSE(p.timed_out) << describe(r);
        EXPECT_TRUE(contains(p.output, "caught ")) << describe(r);
        if (contains(p.output, "caught MismatchError")) ++mismatches;
    }
    EXPECT_GE(mismatches, 1) << describe(r);
}

TEST(Failure, BadConfigNamesTheField) {
    char path[] = "/tmp/fmi-bad-config-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    std::string text = R"({"timeout_ms": 1000, "direct": {"enabled": true, "no_such_field": 1}})";
    ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    auto o = job(2, {"bad_config"});
    o.env["FMI_CONFIG"] = path;
    auto r = run_job(o);
    unlink(path);
    for (const auto& p : r) {
        EXPECT_EQ(p.exit_code, 0) << describe(r);
        EXPECT_TRUE(contains(p.output, "no_such_field")) << describe(r);
    }
}

TEST(Connections, PeersWhoseFirstOperationsAreSendsToEachOtherDoNotDeadlock) {
    auto r = run_job(job(5, {"cross_send"}));
    for (const auto& p : r) EXPECT_EQ(p.exit_code, 0) << describe(r);
}

TEST(Connections, CommunicatorsNamedAppAndApp1RunConcurrentlyWithoutInterfering) {
    auto r = run_job(job(3, {"concurrent_comms"}));
    for (const auto& p : r) EXPECT_EQ(p.exit_code, 0) << describe(r);
}

}  // namespace
}  // namespace fmi_test
