// The arithmetic of an S3 wait's polling (S3Store's poller sleeps by it),
// apart so it can be tested without a clock or a server. Why these rules:
// the poller's comment in s3_store.cpp and docs/channels/s3.md.
#pragma once

#include <algorithm>
#include <chrono>

namespace fmi::detail::s3 {

/// What a wait sleeps before its first attempt: half the estimate of recent
/// waits of its kind, at most poll_max (none without an estimate).
inline std::chrono::milliseconds first_pause(double estimate_ms, std::chrono::milliseconds poll_max) {
    if (estimate_ms <= 0) return std::chrono::milliseconds(0);
    return std::min(std::chrono::milliseconds(static_cast<long long>(estimate_ms * 0.5)), poll_max);
}

/// The estimate after a wait that took `took_ms`: a shorter wait replaces
/// it, a longer one moves it a quarter of the way.
inline double updated_estimate(double estimate_ms, double took_ms) {
    if (estimate_ms <= 0 || took_ms < estimate_ms) return took_ms;
    return estimate_ms + 0.25 * (took_ms - estimate_ms);
}

/// The longest sleep after `waited` of waiting: a quarter of it, within
/// [poll_initial, poll_max].
inline std::chrono::milliseconds longest_sleep(std::chrono::milliseconds waited, std::chrono::milliseconds poll_initial,
                                               std::chrono::milliseconds poll_max) {
    return std::max(poll_initial, std::min(poll_max, waited / 4));
}

/// The sleep after one of `previous`: twice as long, at most longest_sleep.
inline std::chrono::milliseconds next_sleep(std::chrono::milliseconds previous, std::chrono::milliseconds waited,
                                            std::chrono::milliseconds poll_initial,
                                            std::chrono::milliseconds poll_max) {
    return std::min(previous * 2, longest_sleep(waited, poll_initial, poll_max));
}

}  // namespace fmi::detail::s3
