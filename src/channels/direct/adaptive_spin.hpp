// How long a receive spins on non-blocking reads before it blocks in poll.
//
// Spinning wins when the partner answers within the spin (a ping-pong on
// idle cores: one-way latency ~7 us instead of ~17 us through poll) and
// loses badly when it does not: on oversubscribed cores the spinner burns
// the time slice its partner needs (measured here: 8-byte latency went from
// ~25 us to ~130 us with a fixed 50 us spin under load). So the budget
// adapts to what the spin achieves: back to the maximum each time a message
// arrives during the spin, halved each time the spin runs out; below 1 us it
// is off, and every kProbeInterval-th wait then probes with the maximum, so
// a phase of quick replies is found again.
#pragma once

#include <chrono>
#include <cstdint>

namespace fmi::detail::direct {

class AdaptiveSpin {
public:
    static constexpr std::uint32_t kProbeInterval = 32;

    explicit AdaptiveSpin(std::chrono::microseconds maximum)
        : maximum_(maximum), budget_(maximum) {}

    /// Spin budget for the next wait (zero: block at once).
    std::chrono::nanoseconds next() noexcept {
        if (budget_.count() > 0 || maximum_.count() == 0) return budget_;
        if (++waits_without_spin_ < kProbeInterval) return budget_;
        waits_without_spin_ = 0;
        return maximum_;
    }

    /// Reports a wait that spun: did the message arrive during the spin?
    void record(bool caught) noexcept {
        if (caught) {
            budget_ = maximum_;
        } else {
            budget_ /= 2;
            if (budget_ < std::chrono::microseconds(1)) budget_ = std::chrono::nanoseconds(0);
        }
    }

    std::chrono::nanoseconds budget() const noexcept { return budget_; }

private:
    std::chrono::nanoseconds maximum_;
    std::chrono::nanoseconds budget_;
    std::uint32_t waits_without_spin_ = 0;
};

}  // namespace fmi::detail::direct
