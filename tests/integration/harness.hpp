// The multi-process test harness: runs N copies of a peer program as real
// processes with the environment fmirun would give them, an in-process
// rendezvous server, a deadline for the whole job, and each peer's output and
// exit status captured. Unlike fmirun it lets every peer finish on its own, so
// a test can see what each survivor reported after one peer was killed.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace fmi_test {

struct PeerResult {
    int exit_code = -1;    ///< exit status, or -1 if killed by a signal
    int signal = 0;        ///< terminating signal, 0 if it exited
    bool timed_out = false;
    std::string output;    ///< stdout and stderr, interleaved
};

struct JobOptions {
    int peers = 2;
    std::string program;                       ///< path of the peer executable
    std::vector<std::string> args;             ///< arguments after the program
    std::map<std::string, std::string> env;    ///< extra FMI_* variables
    std::chrono::seconds timeout{120};         ///< the whole job's deadline
};

/// Runs the job; peers still running at the deadline are killed and marked.
std::vector<PeerResult> run_job(const JobOptions& options);

/// Every peer's output joined, prefixed with its id (for failure messages).
std::string describe(const std::vector<PeerResult>& results);

}  // namespace fmi_test
