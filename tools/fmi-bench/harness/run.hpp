// The driver every benchmark program shares: plan, check, time, print, write.
#pragma once

#include "options.hpp"
#include "results.hpp"
#include "system.hpp"

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace fmibench {

/// Measures every plan of `options` on `system`; every peer calls it. Peer 0
/// prints the table to `table` (unless --quiet). Returns the results, the
/// same on every peer. A failed result check throws std::runtime_error.
std::vector<Result> run_benchmarks(System& system, const BenchOptions& options, std::ostream& table);

/// Hands each system to be measured to `measure_one`, one after another
/// (fmi-bench makes one per channel; the comparison programs one).
using MeasureOne = std::function<void(System&)>;
using Driver = std::function<void(const BenchOptions& options, const MeasureOne& measure_one)>;

/// The main of a benchmark program: parses the options (shared + extras),
/// prints --help, runs the driver, and peer 0 writes the JSON. Returns the
/// exit status (2 for bad options, 1 for failures). The driver decides
/// which peer this is; results are written by the peer whose rank is 0.
int benchmark_main(int argc, char** argv, const std::string& program, const std::string& synopsis,
                   const std::vector<ExtraOption>& extras, const Driver& driver);

/// The main of a single-process measurement (memcpy, a store's floor) that
/// produces its results itself: the same options, --help and JSON output.
using Measurer = std::function<std::vector<Result>(const BenchOptions& options)>;
int single_process_main(int argc, char** argv, const std::string& program, const std::string& synopsis,
                        const std::vector<ExtraOption>& extras, const Measurer& measurer);

/// Times `once` in the plan's batches after its warm-up; returns the
/// samples (seconds per call). For single-process measurements. The warm-up
/// may cut the plan's iterations to its time budget (fit_to_time).
std::vector<double> time_calls(SizePlan& plan, const std::function<void()>& once);

/// Plans for a single-process measurement: each of `ops` at every size of
/// `options`, planned like a collective (batches of back-to-back calls).
std::vector<SizePlan> single_process_plans(const BenchOptions& options, const std::vector<Op>& ops);

/// What a single-process measurement does with one plan's buffers:
/// `round_trip` moves `in` to `out` once (the result check compares them),
/// `timed` is the call whose time is measured.
struct SingleProcessSteps {
    std::function<void(MutableBytes in, MutableBytes out)> round_trip;
    std::function<void(const SizePlan& plan, MutableBytes in, MutableBytes out)> timed;
};

/// Fills, checks, times and prints every plan with one process, as system
/// `system` over `transport` (memcpy, a store's floor).
std::vector<Result> measure_single_process(const BenchOptions& options, const std::string& system,
                                           const std::string& transport, const std::vector<SizePlan>& plans,
                                           const SingleProcessSteps& steps);

}  // namespace fmibench
