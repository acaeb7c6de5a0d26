#include "results.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace fmibench {

namespace {

constexpr double kMicro = 1e6;

std::string format_time_us(double seconds) {
    std::ostringstream s;
    double us = seconds * kMicro;
    s << std::fixed << std::setprecision(us < 10 ? 2 : us < 1000 ? 1 : 0) << us;
    return s.str();
}

double megabytes_per_second(std::size_t bytes, double seconds) {
    return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0.0;
}

std::string utc_now() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

nlohmann::json summary_json(const Summary& s, double scale) {
    return {{"median", s.median * scale}, {"p10", s.p10 * scale}, {"p90", s.p90 * scale},
            {"min", s.min * scale},       {"max", s.max * scale}, {"mean", s.mean * scale}};
}

nlohmann::json result_json(const Result& r) {
    const SizePlan& p = r.plan;
    nlohmann::json j{{"system", r.system}, {"transport", r.transport}, {"num_peers", r.num_peers},
                     {"op", to_string(p.op)}, {"bytes", p.bytes}};
    if (!p.skip.empty()) {
        j["skipped"] = p.skip;
        return j;
    }
    j["iterations"] = p.iterations;
    j["warmup"] = p.warmup;
    j["batches"] = p.batches;
    j["window"] = p.window;
    j["time_us"] = summary_json(r.time, kMicro);
    // Bandwidth from the time quantiles: the 10th percentile of bandwidth is
    // bytes over the 90th percentile of time.
    j["bandwidth_MBps"] = {{"median", megabytes_per_second(p.bytes, r.time.median)},
                           {"p10", megabytes_per_second(p.bytes, r.time.p90)},
                           {"p90", megabytes_per_second(p.bytes, r.time.p10)}};
    j["checked"] = r.checked ? nlohmann::json(*r.checked) : nlohmann::json(nullptr);
    nlohmann::json samples = nlohmann::json::array();
    for (double s : r.samples) samples.push_back(s * kMicro);
    j["samples_us"] = samples;
    return j;
}

}  // namespace

std::vector<double> load_average() {
    double loads[3];
    if (getloadavg(loads, 3) != 3) return {};
    return {loads[0], loads[1], loads[2]};
}

RunInfo describe_host(const std::string& program, int argc, char** argv, const std::string& label) {
    RunInfo info;
    info.program = program;
    for (int i = 0; i < argc; ++i) info.command_line += (i ? " " : "") + std::string(argv[i]);
    info.label = label;
    info.started_utc = utc_now();
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) == 0) info.host = name;
    info.cpus = static_cast<int>(std::thread::hardware_concurrency());
    info.load_before = load_average();
    return info;
}

void print_table_header(std::ostream& out, const std::string& system, const std::string& transport, int num_peers) {
    out << "# " << system << " (" << transport << "), " << num_peers << (num_peers == 1 ? " peer" : " peers")
        << "; time per operation in us (pingpong: one way); slowest peer\n";
    out << std::left << std::setw(10) << "op" << std::right << std::setw(10) << "bytes" << std::setw(7) << "iters"
        << std::setw(12) << "median us" << std::setw(11) << "p10 us" << std::setw(11) << "p90 us" << std::setw(11)
        << "MB/s" << "  check\n";
}

void print_table_row(std::ostream& out, const Result& r) {
    const SizePlan& p = r.plan;
    out << std::left << std::setw(10) << to_string(p.op) << std::right << std::setw(10) << p.bytes;
    if (!p.skip.empty()) {
        out << "  skipped: " << p.skip << "\n";
        return;
    }
    std::ostringstream mbps;
    mbps << std::fixed << std::setprecision(1) << megabytes_per_second(p.bytes, r.time.median);
    out << std::setw(7) << p.iterations << std::setw(12) << format_time_us(r.time.median) << std::setw(11)
        << format_time_us(r.time.p10) << std::setw(11) << format_time_us(r.time.p90) << std::setw(11)
        << (p.bytes ? mbps.str() : "-") << "  " << (r.checked ? (*r.checked ? "ok" : "WRONG") : "-") << "\n";
    out.flush();
}

void write_json(const std::string& path, const RunInfo& info, const BenchOptions& o, const std::vector<Result>& results) {
    nlohmann::json doc;
    doc["format"] = "fmi-bench/1";
    doc["program"] = info.program;
    doc["command_line"] = info.command_line;
    doc["label"] = info.label;
    doc["started_utc"] = info.started_utc;
    doc["host"] = {{"name", info.host}, {"cpus", info.cpus}, {"load_before", info.load_before},
                   {"load_after", info.load_after}};
    doc["settings"] = {{"iterations", o.iterations}, {"min_iterations", o.min_iterations},
                       {"budget_bytes", o.budget_bytes}, {"batches", o.batches},
                       {"window", o.window}, {"window_bytes", o.window_bytes},
                       {"root", o.root}, {"check", o.check},
                       {"reduction", "sum of float32"}};
    nlohmann::json list = nlohmann::json::array();
    for (const Result& r : results) list.push_back(result_json(r));
    doc["results"] = list;

    std::ofstream file(path);
    if (!file) throw std::runtime_error("cannot write the JSON results to '" + path + "'");
    file << doc.dump(1) << "\n";
    if (!file) throw std::runtime_error("writing the JSON results to '" + path + "' failed");
}

}  // namespace fmibench
