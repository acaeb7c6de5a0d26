// Command-line options shared by fmi-bench and the comparison programs, so
// every system is measured with the same sizes, iteration counts and output.
#pragma once

#include "system.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fmibench {

inline constexpr std::size_t KiB = 1024;
inline constexpr std::size_t MiB = 1024 * KiB;

/// A bad command line; the message names the option and the value.
class OptionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Every operation, in the order "--op all" measures them.
const std::vector<Op>& all_ops();

struct BenchOptions {
    /// --op: operations to measure, in order (default: all).
    std::vector<Op> ops = all_ops();
    /// --sizes: explicit message sizes in bytes; when empty, the powers of two
    /// from min_bytes to max_bytes plus the odd sizes in that range.
    std::vector<std::size_t> sizes;
    std::size_t min_bytes = 1;         ///< --min
    std::size_t max_bytes = 64 * MiB;  ///< --max
    /// --iterations: timed iterations per size for small messages. Larger ones
    /// get budget_bytes / size iterations, but at least min_iterations.
    int iterations = 1000;
    std::size_t budget_bytes = 128 * MiB;  ///< --budget: bytes moved per size, roughly
    int min_iterations = 5;                ///< --min-iterations
    /// --max-time: seconds the timed iterations of one size may take, as
    /// estimated from the warm-up; slow systems get fewer (at least
    /// min_iterations). 0: no limit.
    double max_seconds = 2.0;
    /// --warmup: untimed iterations before timing (default: a tenth of the
    /// timed ones, 1 to 100). The first one runs with known data and checks
    /// the result unless --no-check.
    std::optional<int> warmup;
    /// --batches: timed iterations are split into this many batches, each
    /// started after a barrier; each batch gives one sample (its mean per
    /// iteration, on the slowest peer).
    int batches = 20;
    /// --window: messages per bandwidth window (sent back to back, then one
    /// 1-byte acknowledgement); capped so a window moves at most window_bytes.
    int window = 64;
    std::size_t window_bytes = 16 * MiB;  ///< --window-bytes
    /// --root: root of bcast, gather, scatter and reduce.
    int root = 0;
    /// --max-memory: sizes whose buffers exceed this per peer are skipped.
    std::size_t max_memory = 1024 * MiB;
    bool check = true;        ///< --no-check turns off the result checks
    std::string json_path;    ///< --json FILE (written by peer 0)
    std::string label;        ///< --label TEXT, recorded in the JSON
    bool quiet = false;       ///< --quiet: no table on standard output
    bool help = false;        ///< --help
};

/// A program-specific option (fmi-bench's --channel, the TCP program's --mode).
struct ExtraOption {
    std::string name;        ///< "--channel"
    std::string value_name;  ///< "NAME" (empty: a flag without value)
    std::string help;        ///< one line for --help
    std::function<void(const std::string& value)> apply;  ///< throws OptionError on a bad value
};

/// Parses the arguments (without the program name). Throws OptionError.
BenchOptions parse_options(const std::vector<std::string>& args, const std::vector<ExtraOption>& extras = {});

/// The --help text: `synopsis` first, then the shared and the extra options.
std::string usage(const std::string& synopsis, const std::vector<ExtraOption>& extras = {});

/// Parses a size: "64", "1K", "16KiB", "4M", "1G" (binary multiples).
std::size_t parse_size(const std::string& text);

/// Splits "a,b,c" into its parts; an empty part stays (and is an error to callers).
std::vector<std::string> split_list(const std::string& text);

/// Parses an operation name ("allreduce"); "all" is handled by parse_options.
Op parse_op(const std::string& name);

}  // namespace fmibench
