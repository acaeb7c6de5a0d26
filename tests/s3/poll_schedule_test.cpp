// The S3 wait's polling arithmetic (channels/s3/poll_schedule.hpp) in
// closed form: the first pause, the estimate's update and the sleeps.
#include "channels/s3/poll_schedule.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace fmi::detail::s3 {
namespace {

using std::chrono::milliseconds;
const milliseconds kInitial{5}, kMax{200};

TEST(PollSchedule, FirstPauseIsHalfTheEstimateUpToPollMax) {
    EXPECT_EQ(first_pause(0.0, kMax), milliseconds(0));  // nothing learned yet
    EXPECT_EQ(first_pause(130.0, kMax), milliseconds(65));
    EXPECT_EQ(first_pause(9.9, kMax), milliseconds(4));  // whole milliseconds, rounded down
    EXPECT_EQ(first_pause(1000.0, kMax), kMax);
}

TEST(PollSchedule, ShorterWaitReplacesTheEstimateLongerMovesItAQuarter) {
    EXPECT_DOUBLE_EQ(updated_estimate(0.0, 42.0), 42.0);      // the first wait
    EXPECT_DOUBLE_EQ(updated_estimate(130.0, 28.0), 28.0);    // last to start: a short wait
    EXPECT_DOUBLE_EQ(updated_estimate(28.0, 132.0), 54.0);    // 28 + (132 - 28) / 4
    EXPECT_DOUBLE_EQ(updated_estimate(100.0, 100.0), 100.0);  // steady
    // Found at the first attempt after the pause: the wait took the pause
    // (half the estimate), so the estimate halves.
    EXPECT_DOUBLE_EQ(updated_estimate(80.0, 40.0), 40.0);
}

TEST(PollSchedule, SleepsDoubleButNeverBeyondAQuarterOfTheWait) {
    EXPECT_EQ(longest_sleep(milliseconds(0), kInitial, kMax), kInitial);
    EXPECT_EQ(longest_sleep(milliseconds(100), kInitial, kMax), milliseconds(25));
    EXPECT_EQ(longest_sleep(milliseconds(10'000), kInitial, kMax), kMax);
    EXPECT_EQ(next_sleep(milliseconds(5), milliseconds(100), kInitial, kMax), milliseconds(10));  // doubling
    EXPECT_EQ(next_sleep(milliseconds(20), milliseconds(100), kInitial, kMax), milliseconds(25));  // the quarter
    EXPECT_EQ(next_sleep(milliseconds(5), milliseconds(12), kInitial, kMax), kInitial);  // never below poll_initial

    // A wait without a pause, its object arriving at 100 ms: the attempts
    // (requests taking no time) come at most a quarter of the wait apart,
    // so the one that finds it is at most 25 ms late.
    milliseconds t{0}, sleep = kInitial;
    std::vector<long long> attempts{0};
    while (t < milliseconds(100)) {
        t += sleep;
        attempts.push_back(t.count());
        sleep = next_sleep(sleep, t, kInitial, kMax);
    }
    EXPECT_EQ(attempts, (std::vector<long long>{0, 5, 10, 15, 20, 25, 31, 38, 47, 58, 72, 90, 112}));
    EXPECT_LE(t - milliseconds(100), milliseconds(25));
}

}  // namespace
}  // namespace fmi::detail::s3
