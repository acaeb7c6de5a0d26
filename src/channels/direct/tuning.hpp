// Internal knobs of the direct channel that users rarely need, kept out of
// DirectOptions (the public configuration), except the spin, which comes
// from DirectOptions::spin.
#pragma once

#include <fmi/config.hpp>

#include <chrono>

namespace fmi::detail::direct {

struct DirectTuning {
    /// Longest spin on non-blocking reads before blocking in poll(2) for the
    /// first bytes of a message (the actual spin adapts below this, see
    /// adaptive_spin.hpp). 0 disables spinning.
    std::chrono::microseconds spin{50};
    /// On destruction, how long to wait for partners' EOF after our own
    /// shutdown(SHUT_WR), so no unread data turns our close into a reset
    /// that could destroy a partner's last received message.
    std::chrono::milliseconds close_linger{500};
    /// Backoff between connection attempts to a partner that refused.
    std::chrono::milliseconds retry_initial{5};
    std::chrono::milliseconds retry_max{200};

    /// Defaults, with the spin from the configuration (direct.spin_us /
    /// FMI_DIRECT_SPIN_US, parsed and range-checked in src/config).
    static DirectTuning from_options(const DirectOptions& options) {
        DirectTuning tuning;
        tuning.spin = options.spin;
        return tuning;
    }
};

}  // namespace fmi::detail::direct
