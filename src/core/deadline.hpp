// A point in time by which an operation must finish, remembering when it
// started and how long it was allowed, so a timeout can say both.
#pragma once

#include <fmi/errors.hpp>

#include <algorithm>
#include <chrono>
#include <string>

namespace fmi::detail {

class Deadline {
public:
    using clock = std::chrono::steady_clock;

    explicit Deadline(std::chrono::milliseconds allowed)
        : start_(clock::now()), allowed_(allowed), end_(start_ + allowed) {}

    std::chrono::milliseconds allowed() const noexcept { return allowed_; }
    std::chrono::milliseconds elapsed() const noexcept {
        return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start_);
    }
    /// Time left, never negative.
    std::chrono::milliseconds remaining() const noexcept {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end_ - clock::now());
        return std::max(left, std::chrono::milliseconds(0));
    }
    /// Time left rounded up to whole ms, never negative: a limit handed to a
    /// library (curl, hiredis) that must not fire before the deadline.
    std::chrono::milliseconds remaining_rounded_up() const noexcept {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(end_ - clock::now());
        return std::max(left, std::chrono::milliseconds(0));
    }
    bool expired() const noexcept { return clock::now() >= end_; }
    clock::time_point end() const noexcept { return end_; }

    /// Time left as a poll(2) timeout in ms, rounded up so we never spin on 0.
    int poll_timeout_ms() const noexcept {
        auto left = std::chrono::duration_cast<std::chrono::microseconds>(end_ - clock::now()).count();
        if (left <= 0) return 0;
        return static_cast<int>(std::min<long long>((left + 999) / 1000, 1 << 30));
    }

    /// Throws TimeoutError("<what>", elapsed, allowed).
    [[noreturn]] void throw_timeout(const std::string& what) const {
        throw TimeoutError(what, elapsed(), allowed_);
    }
    /// Throws the timeout if the deadline has passed.
    void check(const std::string& what) const {
        if (expired()) throw_timeout(what);
    }

private:
    clock::time_point start_;
    std::chrono::milliseconds allowed_;
    clock::time_point end_;
};

}  // namespace fmi::detail
