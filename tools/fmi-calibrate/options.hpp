// Command line of fmi-calibrate (fmi-calibrate --help).
#pragma once

#include <fmi/config.hpp>
#include <fmi/model.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace fmi::calibrate {

struct Options {
    bool verify = false;                      ///< compare predictions with measurements
    std::string out;                          ///< where peer 0 writes (empty: stdout)
    /// A previous calibration to extend: keep its figures, measure only
    /// with all of this job's peers and replace that peer count's.
    std::string merge;
    std::vector<ChannelKind> channels;        ///< empty: every enabled channel
    std::vector<Operation> ops{Operation::send, Operation::allreduce};  ///< --verify
    std::vector<std::size_t> sizes{8, 1024, 65536, 1u << 20, 16u << 20};  ///< --verify
    std::size_t bandwidth_bytes = 16u << 20;  ///< message of the bandwidth measurements
    int max_reps = 200;                       ///< most operations in one timed batch
    double batch_seconds = 0.25;              ///< target time of one batch of timed operations
    int batches = 3;                          ///< batches per case; the median counts
};

/// Parses argv; prints usage and exits on --help; throws UsageError on bad input.
Options parse_options(int argc, char** argv);

}  // namespace fmi::calibrate
