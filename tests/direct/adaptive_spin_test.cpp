// The receive spin's budget: back to the maximum when it pays, halved when
// it does not, off below 1 us with a periodic probe.
#include "channels/direct/adaptive_spin.hpp"

#include <gtest/gtest.h>

namespace fmi::detail::direct {
namespace {

using namespace std::chrono_literals;

TEST(AdaptiveSpin, HalvesOnMissesUntilOffThenProbes) {
    AdaptiveSpin spin(48us);
    EXPECT_EQ(spin.next(), 48us);
    // 48 -> 24 -> 12 -> 6 -> 3 -> 1.5 -> 0.75 us, which is off.
    const std::chrono::nanoseconds expected[] = {24us, 12us, 6us, 3us, 1500ns, 0ns};
    for (auto e : expected) {
        spin.record(false);
        EXPECT_EQ(spin.budget(), e);
    }
    for (std::uint32_t i = 1; i < AdaptiveSpin::kProbeInterval; ++i) EXPECT_EQ(spin.next(), 0ns) << i;
    EXPECT_EQ(spin.next(), 48us);  // the probe
    EXPECT_EQ(spin.next(), 0ns);
}

TEST(AdaptiveSpin, ACatchRestoresTheMaximum) {
    AdaptiveSpin spin(40us);
    spin.record(false);
    spin.record(false);
    EXPECT_EQ(spin.budget(), 10us);
    spin.record(true);
    EXPECT_EQ(spin.budget(), 40us);
    EXPECT_EQ(spin.next(), 40us);
}

TEST(AdaptiveSpin, ZeroMaximumNeverSpins) {
    AdaptiveSpin spin(0us);
    for (std::uint32_t i = 0; i < 2 * AdaptiveSpin::kProbeInterval; ++i) EXPECT_EQ(spin.next(), 0ns);
}

}  // namespace
}  // namespace fmi::detail::direct
