// fmirun's command line: typed options parsed once, with errors that name
// the offending argument (fmirun exits with code 2 on them).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fmirun {

/// A command-line argument fmirun cannot use.
class ArgumentError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct RunOptions {
    /// Number of peers to start (-n), 1..max_peers.
    int num_peers = 0;
    /// --config FILE (absent: FMI_CONFIG of fmirun's environment, if set).
    std::optional<std::filesystem::path> config_path;
    /// --comm NAME (absent: a unique "fmirun-<pid>-<random>").
    std::optional<std::string> comm;
    /// --timeout SECONDS: stop everything after this long (exit code 124).
    std::optional<std::chrono::milliseconds> timeout;
    /// --grace SECONDS: how long stopped peers get between SIGTERM and SIGKILL.
    std::chrono::milliseconds grace{3000};
    /// false with --no-prefix: peers write to fmirun's stdout/stderr directly.
    bool prefix = true;
    /// --bind-cores: peer i runs on the i-th CPU fmirun may use (round-robin),
    /// as mpirun binds by default: where peers outnumber cores, placement
    /// otherwise changes from run to run (docs/model.md, "Validation").
    bool bind_cores = false;
    /// --print-config: print the effective configuration and exit.
    bool print_config = false;
    /// --help: print the usage and exit.
    bool help = false;
    /// The program and its arguments.
    std::vector<std::string> command;
};

inline constexpr int max_peers = 1024;

/// Parses argv[1..]; throws ArgumentError naming the problem.
RunOptions parse_arguments(const std::vector<std::string>& arguments);

/// The --help text.
const char* usage_text();

}  // namespace fmirun
