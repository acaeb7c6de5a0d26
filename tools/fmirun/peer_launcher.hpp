// Starts one peer: fork, then in the child only async-signal-safe calls
// (fmirun may run the embedded rendezvous server on another thread) before
// exec. Each peer leads its own process group, so stopping a peer also stops
// the processes it started, and dies with fmirun (PR_SET_PDEATHSIG) if fmirun
// itself is killed, so no peer is orphaned.
#pragma once

#include "unique_fd.hpp"

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace fmirun {

struct PeerLaunch {
    std::string executable;                ///< resolved path (resolve_program)
    std::vector<std::string> arguments;    ///< argv, argv[0] included
    std::vector<std::string> environment;  ///< "NAME=value" entries
    bool capture_output = true;            ///< pipes for stdout/stderr, else inherit
    int cpu = -1;                          ///< the CPU the peer is bound to (-1: not bound)
};

/// The CPUs this process may run on, in order (sched_getaffinity).
std::vector<int> usable_cpus();

struct LaunchedPeer {
    pid_t pid = -1;  ///< also the id of the peer's process group
    UniqueFd stdout_pipe;
    UniqueFd stderr_pipe;
};

/// Starts the peer. `child_signal_mask` is restored in the child (fmirun
/// blocks the signals it reads through a signalfd); stdin is `stdin_fd`.
/// Throws std::system_error if the pipes or the fork fail.
LaunchedPeer launch_peer(const PeerLaunch& launch, const sigset_t& child_signal_mask, int stdin_fd);

/// The path exec will run: `program` itself if it contains a '/', else the
/// first executable match in $PATH. Throws ArgumentError if there is none.
std::string resolve_program(const std::string& program);

/// `base` (an environ-style array) with `overrides` set and `removed` unset.
std::vector<std::string> make_environment(char** base,
                                          const std::vector<std::pair<std::string, std::string>>& overrides,
                                          const std::vector<std::string>& removed);

}  // namespace fmirun
