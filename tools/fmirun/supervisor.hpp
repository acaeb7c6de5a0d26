// Supervises the running peers until they are all gone:
//   1. relays each peer's output line by line (line_prefixer.hpp);
//   2. reaps exited peers; the first failure (non-zero exit or a signal) is
//      reported and stops the others: SIGTERM to each peer's process group,
//      SIGKILL after the grace period;
//   3. --timeout stops everyone the same way (exit code 124);
//   4. SIGINT/SIGTERM/SIGHUP to fmirun are forwarded to the peers; a second
//      one sends SIGKILL at once;
//   5. once every peer has exited, output still buffered in the pipes is
//      drained (for at most drain_limit, in case a process the peer left
//      behind holds them open) and leftover processes in the peers' groups
//      are killed (fmirun is their subreaper: main.cpp).
// All waiting happens in one poll() on the pipes and a signalfd, with a
// timeout computed from the next deadline: no busy loop, no unbounded wait.
#pragma once

#include "peer_launcher.hpp"

#include <chrono>
#include <optional>
#include <vector>

namespace fmirun {

struct SupervisorOptions {
    std::optional<std::chrono::milliseconds> timeout;  ///< of the whole run
    std::chrono::milliseconds grace{3000};             ///< SIGTERM -> SIGKILL
    std::chrono::milliseconds drain_limit{1000};       ///< output after the last exit
};

/// Exit code for a run stopped by --timeout (as timeout(1)).
inline constexpr int timeout_exit_code = 124;

/// Runs until every peer has exited; returns fmirun's exit code. `signal_fd`
/// is a signalfd for SIGCHLD, SIGINT, SIGTERM and SIGHUP (all blocked).
/// `peers[i]` is peer i.
int supervise(std::vector<LaunchedPeer> peers, int signal_fd, const SupervisorOptions& options);

/// "exited with code 3", "was killed by signal 9 (SIGKILL)".
std::string describe_wait_status(int status);
/// The exit code fmirun reports for a wait status (128+signal for signals).
int exit_code_of(int status);

}  // namespace fmirun
