// The model's choices at the extremes against a real measurement: a real
// redis-server, real processes with a real rendezvous server, direct and
// Redis channels. First fmi-calibrate measures this host (8 peers, so the
// latencies of 2, 4 and 8-peer jobs), then extremes_peer measures send/recv
// and allreduce of 8 B and 16 MiB at 2 and 8 peers on each channel and checks
// that hint fast picks the measured fastest and hint cheap the computed
// cheapest (tests/model/extremes_peer.cpp).
#include "../integration/harness.hpp"
#include "../redis/redis_harness.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {

std::map<std::string, std::string> redis_env(const fmi::test::RedisServer& redis) {
    return {{"FMI_REDIS_ENABLED", "true"}, {"FMI_REDIS_PORT", std::to_string(redis.port())}};
}

class Extremes : public testing::Test {
protected:
    static void SetUpTestSuite() {
        redis_ = new fmi::test::RedisServer();
        model_ = testing::TempDir() + "fmi_extremes_model_" + std::to_string(::getpid()) + ".json";
        fmi_test::JobOptions calibrate;
        calibrate.peers = 8;
        calibrate.program = FMI_CALIBRATE;
        calibrate.args = {"--channels", "direct,redis", "--bandwidth-bytes", "4194304", "--max-reps", "20",
                          "--out", model_};
        calibrate.env = redis_env(*redis_);
        calibrate.timeout = std::chrono::seconds(120);
        auto results = fmi_test::run_job(calibrate);
        for (const auto& r : results) calibrated_ = calibrated_ && r.exit_code == 0;
        log_ = fmi_test::describe(results);
    }
    static void TearDownTestSuite() {
        std::remove(model_.c_str());
        delete redis_;
        redis_ = nullptr;
    }

    void run_at(int peers) {
        ASSERT_TRUE(calibrated_) << log_;
        fmi_test::JobOptions job;
        job.peers = peers;
        job.program = FMI_EXTREMES_PEER;
        job.args = {std::to_string(16u << 20)};
        job.env = redis_env(*redis_);
        job.env["FMI_MODEL"] = model_;
        job.timeout = std::chrono::seconds(150);
        auto results = fmi_test::run_job(job);
        std::string all = fmi_test::describe(results);
        for (const auto& r : results) EXPECT_EQ(r.exit_code, 0) << all;
        // four cases (send and allreduce, 8 B and 16 MiB), each reported by peer 0
        EXPECT_NE(results[0].output.find("allreduce 16777216 B"), std::string::npos) << all;
        std::printf("%s", results[0].output.c_str());
    }

    static inline fmi::test::RedisServer* redis_ = nullptr;
    static inline std::string model_;
    static inline bool calibrated_ = true;
    static inline std::string log_;
};

TEST_F(Extremes, TwoPeers) { run_at(2); }
TEST_F(Extremes, EightPeers) { run_at(8); }

}  // namespace
