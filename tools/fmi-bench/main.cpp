// fmi-bench: OSU-style latency, bandwidth and collective benchmarks of fmi.
// Run it under fmirun, e.g.
//   fmirun -n 4 -- fmi-bench --op allreduce --sizes 8,1M,64M --json out.json
// The methodology and the output are shared with the comparison programs in
// bench/compare (harness/), so their numbers can be set side by side.
#include "fmi_system.hpp"
#include "harness/run.hpp"

#include <fmi/fmi.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

using fmibench::OptionError;

// One entry of --channel: a channel to pin, or none ("auto": fmi chooses).
struct ChannelChoice {
    std::string label;
    std::optional<fmi::ChannelKind> kind;
};

ChannelChoice parse_channel(const std::string& name) {
    if (name == "auto") return {name, std::nullopt};
    for (fmi::ChannelKind kind : {fmi::ChannelKind::direct, fmi::ChannelKind::redis, fmi::ChannelKind::s3})
        if (name == fmi::to_string(kind)) return {name, kind};
    throw OptionError("--channel: unknown channel '" + name + "' (known: direct, redis, s3, auto, all)");
}

std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
}

int env_int(const char* name) {
    auto value = env(name);
    if (!value) throw OptionError(std::string(name) + " is not set: run fmi-bench under fmirun (fmirun -n 2 -- fmi-bench)");
    try {
        std::size_t used = 0;
        int v = std::stoi(*value, &used);
        if (used == value->size()) return v;
    } catch (const std::exception&) {
    }
    throw OptionError(std::string(name) + ": '" + *value + "' is not an integer");
}

// The configuration fmirun hands over (FMI_CONFIG), pinned to one channel,
// which is enabled if the file did not enable it. FMI_* variables still
// override it (the Communicator applies them).
fmi::Config config_for(const ChannelChoice& channel) {
    auto path = env("FMI_CONFIG");
    fmi::Config config = path && !path->empty() ? fmi::load_config(*path) : fmi::Config{};
    config.channel = channel.kind;
    if (channel.kind == fmi::ChannelKind::direct) config.direct.enabled = true;
    if (channel.kind == fmi::ChannelKind::redis) config.redis.enabled = true;
    if (channel.kind == fmi::ChannelKind::s3) config.s3.enabled = true;
    return config;
}

std::vector<ChannelChoice> all_enabled_channels() {
    fmi::Config config = config_for({"auto", std::nullopt});
    fmi::apply_environment(config, fmi::process_environment());
    std::vector<ChannelChoice> channels;
    if (config.direct.enabled) channels.push_back({"direct", fmi::ChannelKind::direct});
    if (config.redis.enabled) channels.push_back({"redis", fmi::ChannelKind::redis});
    if (config.s3.enabled) channels.push_back({"s3", fmi::ChannelKind::s3});
    return channels;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<ChannelChoice> channels;
    std::vector<fmibench::ExtraOption> extras{
        {"--channel", "LIST",
         "channels to measure one after another, comma-separated: direct, redis, s3, auto (fmi chooses per "
         "operation) or all (every channel the configuration enables). Default: auto",
         [&](const std::string& value) {
             channels.clear();
             for (const std::string& part : fmibench::split_list(value)) {
                 if (part == "all") {
                     for (const ChannelChoice& c : all_enabled_channels()) channels.push_back(c);
                 } else {
                     channels.push_back(parse_channel(part));
                 }
             }
         }},
    };
    const std::string synopsis =
        "Usage: fmirun -n N [fmirun options] -- fmi-bench [options]\n\n"
        "fmi's benchmark. The configuration is fmirun's (--config FILE, FMI_* variables).";

    return fmibench::benchmark_main(argc, argv, "fmi-bench", synopsis, extras,
                                    [&](const fmibench::BenchOptions&, const fmibench::MeasureOne& measure_one) {
        if (channels.empty()) channels.push_back({"auto", std::nullopt});
        const int peer = env_int("FMI_PEER_ID"), peers = env_int("FMI_NUM_PEERS");
        const std::string comm_name = env("FMI_COMM").value_or("fmi-bench");
        for (const ChannelChoice& channel : channels) {
            // One communicator per channel, named apart so they never meet.
            std::string name = channels.size() > 1 ? comm_name + "-" + channel.label : comm_name;
            fmi::Communicator comm(peer, peers, name, config_for(channel));
            fmibench::FmiSystem system(comm, channel.label);
            measure_one(system);
        }
    });
}
