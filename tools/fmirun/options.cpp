#include "options.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

namespace fmirun {

namespace {

// The longest --timeout or --grace accepted (30 days, as for durations in
// the configuration).
constexpr double max_seconds = 30.0 * 24 * 3600;

int parse_peer_count(std::string_view text) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
        throw ArgumentError("-n: expected a number of peers, got '" + std::string(text) + "'");
    if (value < 1 || value > max_peers)
        throw ArgumentError("-n: the number of peers must be between 1 and " + std::to_string(max_peers) +
                            " (got " + std::string(text) + ")");
    return value;
}

std::chrono::milliseconds parse_seconds(std::string_view option, std::string_view text, bool allow_zero) {
    double seconds = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(seconds))
        throw ArgumentError(std::string(option) + ": expected a number of seconds (e.g. 30 or 2.5), got '" +
                            std::string(text) + "'");
    if (seconds < 0 || (seconds == 0 && !allow_zero) || seconds > max_seconds)
        throw ArgumentError(std::string(option) + ": must be " + (allow_zero ? "at least 0" : "more than 0") +
                            " and at most " + std::to_string(static_cast<long>(max_seconds)) +
                            " seconds (got " + std::string(text) + ")");
    return std::chrono::milliseconds(std::llround(seconds * 1000.0));
}

std::string check_comm(std::string_view text) {
    if (text.empty()) throw ArgumentError("--comm: the communicator name must not be empty");
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f)
            throw ArgumentError("--comm: the communicator name must not contain control characters");
    return std::string(text);
}

}  // namespace

RunOptions parse_arguments(const std::vector<std::string>& arguments) {
    RunOptions options;
    bool have_peers = false;
    std::size_t i = 0;

    // "--name value" or "--name=value"; `attached` is the text after '='.
    auto value_of = [&](std::string_view name, std::optional<std::string_view> attached) -> std::string {
        if (attached) return std::string(*attached);
        if (i + 1 >= arguments.size()) throw ArgumentError(std::string(name) + ": missing value");
        return arguments[++i];
    };

    for (; i < arguments.size(); ++i) {
        std::string_view argument = arguments[i];
        if (argument == "--") {
            ++i;
            break;
        }
        if (argument.empty() || argument[0] != '-' || argument == "-") break;  // the program

        std::string_view name = argument;
        std::optional<std::string_view> attached;
        if (argument.starts_with("--")) {
            if (auto eq = argument.find('='); eq != std::string_view::npos) {
                name = argument.substr(0, eq);
                attached = argument.substr(eq + 1);
            }
        } else if (argument.starts_with("-n") && argument.size() > 2) {  // -n4
            name = "-n";
            attached = argument.substr(2);
        }

        if (name == "-h" || name == "--help") {
            options.help = true;
        } else if (name == "-n" || name == "--num-peers") {
            options.num_peers = parse_peer_count(value_of("-n", attached));
            have_peers = true;
        } else if (name == "--config") {
            std::string path = value_of(name, attached);
            if (path.empty()) throw ArgumentError("--config: missing file name");
            options.config_path = path;
        } else if (name == "--comm") {
            options.comm = check_comm(value_of(name, attached));
        } else if (name == "--timeout") {
            options.timeout = parse_seconds(name, value_of(name, attached), false);
        } else if (name == "--grace") {
            options.grace = parse_seconds(name, value_of(name, attached), true);
        } else if (name == "--no-prefix" && !attached) {
            options.prefix = false;
        } else if (name == "--print-config" && !attached) {
            options.print_config = true;
        } else if (name == "--bind-cores" && !attached) {
            options.bind_cores = true;
        } else {
            throw ArgumentError("unknown option '" + std::string(argument) + "' (see fmirun --help)");
        }
    }
    options.command.assign(arguments.begin() + static_cast<std::ptrdiff_t>(std::min(i, arguments.size())),
                           arguments.end());

    if (options.help || options.print_config) return options;
    if (!have_peers) throw ArgumentError("missing -n N, the number of peers (see fmirun --help)");
    if (options.command.empty()) throw ArgumentError("missing the program to run (see fmirun --help)");
    return options;
}

const char* usage_text() {
    return R"(Usage: fmirun -n N [options] [--] PROGRAM [ARGS...]

Starts N local peers of an fmi program and supervises them. Each peer gets
  FMI_PEER_ID     its id, 0..N-1
  FMI_NUM_PEERS   N
  FMI_COMM        the communicator name (the same for all peers)
  FMI_CONFIG      the absolute path of the configuration file, if any
  FMI_RENDEZVOUS  host:port of the rendezvous server fmirun starts when the
                  direct channel is enabled and no server is configured
The first peer that fails (non-zero exit or a signal) stops the others, and
fmirun exits with its code (128+signal for a signal).

Options:
  -n, --num-peers N   number of peers (1..1024)
  --config FILE       configuration file (docs/configuration.md); default:
                      $FMI_CONFIG if set, else the built-in defaults
  --comm NAME         communicator name (default: fmirun-<pid>-<random>)
  --timeout SECONDS   stop all peers after this long and exit with 124
  --grace SECONDS     time between SIGTERM and SIGKILL when stopping peers
                      (default: 3)
  --no-prefix         pass the peers' output through unchanged (by default
                      each line is prefixed with "[id] ")
  --bind-cores        run peer i on the i-th CPU fmirun may use, round-robin
                      (as mpirun binds): the same placement in every run,
                      for measurements where peers outnumber cores
  --print-config      print the effective configuration (file + FMI_*
                      variables) as JSON and exit
  -h, --help          show this help

Options end at the first argument that is not an option, or at "--".
The peers' standard input is /dev/null. SIGINT, SIGTERM and SIGHUP sent to
fmirun are forwarded to the peers; a second one kills them.

Exit status: 0 when every peer exits with 0; the first failing peer's code;
124 on --timeout; 128+signal when fmirun itself is interrupted; 2 for
errors in fmirun's arguments or configuration.

Example:
  fmirun -n 4 --config fmi.json --timeout 120 -- ./allreduce_example --size 1024
)";
}

}  // namespace fmirun
