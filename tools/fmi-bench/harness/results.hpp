// Results of a run: the readable table and the JSON document (format
// "fmi-bench/1", described in docs/performance.md) that bench/plot.py and
// bench/report.py read.
#pragma once

#include "options.hpp"
#include "plan.hpp"
#include "statistics.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace fmibench {

/// One measured (or skipped) plan of one system.
struct Result {
    std::string system;     ///< "fmi", "openmpi", "gloo", "tcp", "memcpy"
    std::string transport;  ///< "direct", "tcp", "vader", "blocking", ...
    int num_peers = 0;
    SizePlan plan;
    std::vector<double> samples;  ///< seconds per operation (pingpong: one way)
    Summary time;                 ///< of samples
    std::optional<bool> checked;  ///< unset: not checked
};

/// Where and how a run happened, for the JSON header.
struct RunInfo {
    std::string program;       ///< "fmi-bench", "bench-openmpi", ...
    std::string command_line;
    std::string label;
    std::string started_utc;   ///< ISO 8601
    std::string host;
    int cpus = 0;
    std::vector<double> load_before, load_after;  ///< 1, 5, 15-minute load averages
};

/// Host name, CPU count, start time and load average, now.
RunInfo describe_host(const std::string& program, int argc, char** argv, const std::string& label);

/// The 1, 5 and 15-minute load averages (empty if unavailable).
std::vector<double> load_average();

/// Table of results, one line each, with a header naming system and peers.
void print_table_header(std::ostream& out, const std::string& system, const std::string& transport, int num_peers);
void print_table_row(std::ostream& out, const Result& result);

/// Writes the JSON document; throws std::runtime_error naming the path on failure.
void write_json(const std::string& path, const RunInfo& info, const BenchOptions& options,
                const std::vector<Result>& results);

}  // namespace fmibench
