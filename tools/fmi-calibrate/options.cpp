#include "options.hpp"

#include <fmi/errors.hpp>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace fmi::calibrate {

namespace {

constexpr const char* usage =
    "usage: fmirun -n N [--config F] -- fmi-calibrate [options]\n"
    "Measures every enabled channel where the job runs (latency with 2, 4, ... N\n"
    "peers active, bandwidth, aggregate bandwidth of all pairs at once, the speed\n"
    "of a reduction) and writes {\"model\": {...}} for the configuration file or\n"
    "FMI_MODEL. Run it with the job's configuration so the result keeps its prices.\n"
    "  --out FILE            write the model section to FILE (default: stdout)\n"
    "  --merge FILE          extend FILE (an earlier fmi-calibrate output): measure\n"
    "                        only with all N peers and replace N's figures (and, at\n"
    "                        N = 2, the 2-peer ones); --out may name FILE itself.\n"
    "                        Where peers share cores, idle peers of a larger job\n"
    "                        disturb the 2- and 4-peer figures: calibrate with\n"
    "                        -n 2, then --merge at -n 4, 8, ... (docs/model.md)\n"
    "  --channels LIST       direct,redis,s3 (default: every enabled channel)\n"
    "  --bandwidth-bytes B   message of the bandwidth measurements (default 16777216)\n"
    "  --max-reps R          most operations in a timed batch (default 200)\n"
    "  --verify              instead: measure each op and size on each channel and\n"
    "                        print predicted against measured times (markdown)\n"
    "  --ops LIST            --verify: send,allreduce (any operation but barrier)\n"
    "  --sizes LIST          --verify: bytes per peer (default 8,1024,65536,1048576,16777216)\n"
    "  --batch-seconds S     target time of a batch of timed operations, in\n"
    "                        calibration as in --verify (default 0.25)\n"
    "  --batches K           batches per case, the median counts (default 3)\n";

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> parts;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ',');)
        if (!part.empty()) parts.push_back(part);
    return parts;
}

unsigned long long number(const std::string& flag, const std::string& text) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || text[0] == '-')
        throw UsageError("fmi-calibrate: " + flag + " expects a non-negative integer, got '" + text + "'");
    return v;
}

}  // namespace

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw UsageError("fmi-calibrate: " + flag + " needs a value");
            return argv[++i];
        };
        if (flag == "--help" || flag == "-h") {
            std::fputs(usage, stdout);
            std::exit(0);
        } else if (flag == "--verify") {
            o.verify = true;
        } else if (flag == "--out") {
            o.out = value();
        } else if (flag == "--merge") {
            o.merge = value();
        } else if (flag == "--channels") {
            o.channels.clear();
            for (const std::string& name : split(value())) {
                if (name == "direct") o.channels.push_back(ChannelKind::direct);
                else if (name == "redis") o.channels.push_back(ChannelKind::redis);
                else if (name == "s3") o.channels.push_back(ChannelKind::s3);
                else throw UsageError("fmi-calibrate: --channels: unknown channel '" + name + "'");
            }
        } else if (flag == "--ops") {
            o.ops.clear();
            for (const std::string& name : split(value())) {
                auto op = parse_operation(name);
                if (!op || *op == Operation::barrier)
                    throw UsageError("fmi-calibrate: --ops: unsupported operation '" + name + "'");
                o.ops.push_back(*op);
            }
        } else if (flag == "--sizes") {
            o.sizes.clear();
            for (const std::string& s : split(value())) o.sizes.push_back(number(flag, s));
        } else if (flag == "--bandwidth-bytes") {
            o.bandwidth_bytes = number(flag, value());
            if (o.bandwidth_bytes == 0) throw UsageError("fmi-calibrate: --bandwidth-bytes must be positive");
        } else if (flag == "--max-reps") {
            o.max_reps = static_cast<int>(number(flag, value()));
            if (o.max_reps < 1) throw UsageError("fmi-calibrate: --max-reps must be positive");
        } else if (flag == "--batch-seconds") {
            o.batch_seconds = std::atof(value().c_str());
            if (!(o.batch_seconds > 0)) throw UsageError("fmi-calibrate: --batch-seconds must be positive");
        } else if (flag == "--batches") {
            o.batches = static_cast<int>(number(flag, value()));
            if (o.batches < 1) throw UsageError("fmi-calibrate: --batches must be positive");
        } else {
            throw UsageError("fmi-calibrate: unknown option '" + flag + "' (see --help)");
        }
    }
    return o;
}

}  // namespace fmi::calibrate
