// Calibration, per channel. For k = 2, 4, 8, ... N the first k peers form a
// communicator of their own (the others wait), so every figure is what a job
// of k peers sees on this host:
//  - latency_at_peers[k]: a barrier of k peers, divided by the steps the
//    model counts for the channel's barrier (a collective step's latency);
//  - k = 2: latency_s, half the median 8-byte round trip; bandwidth_at_bytes,
//    from round trips of 64 KiB, 1 MiB and --bandwidth-bytes:
//    bytes / (half round trip - latency); bandwidth_Bps, the largest size's;
//  - k >= 4: aggregate_at_peers[k], every pair (2i, 2i+1) in a ping-pong of
//    --bandwidth-bytes at once: all pairs' bytes over the slowest pair's time;
//  - at k = 2, the reduction speed: a float sum over touched memory, both peers at once.
// The result keeps the configuration's own model section (prices, pins) and
// replaces the measured channels' parameters.
#include "calibrate.hpp"

#include "measure.hpp"

#include <fmi/model.hpp>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>

namespace fmi::calibrate {

namespace {

using Clock = std::chrono::steady_clock;

void progress(const Communicator& comm, const std::string& line) {
    if (comm.peer_id() == 0) std::cerr << "fmi-calibrate: " << line << std::endl;
}

std::vector<int> active_counts(int n) {
    std::vector<int> counts;
    for (int k = 2; k < n; k *= 2) counts.push_back(k);
    if (n >= 2) counts.push_back(n);
    return counts;
}

/// Seconds of a barrier of `sub`'s peers (median of batches, slowest peer).
double barrier_time(Communicator& sub, int reps, bool warm_up) {
    // The direct channel adapts its spin-before-sleep to the traffic it sees:
    // untimed rounds first, so the figure is the steady state a job sees
    // rather than the first rounds (2-3x slower here).
    if (warm_up)
        for (int i = 0; i < reps; ++i) sub.barrier();
    std::vector<double> batches;
    for (int b = 0; b < 3; ++b) {
        sub.barrier();
        auto start = Clock::now();
        for (int i = 0; i < reps; ++i) sub.barrier();
        batches.push_back(slowest(sub, std::chrono::duration<double>(Clock::now() - start).count() / reps));
    }
    return median(batches);
}

/// The steps the model counts for a barrier of k peers on `kind` (its time
/// with a latency of 1 s and no transfer time).
double barrier_steps(const model::Params& params, ChannelKind kind, int k) {
    model::Params unit = params;
    model::ChannelParams& c = unit.channel(kind);
    c.latency_s = 1.0;
    c.latency_at_peers.clear();
    return model::predict(unit, kind, model::Request{Operation::barrier, 0, k, 128}).seconds;
}

/// Measures `kind` in a communicator of the first k peers.
void measure_with(Communicator& sub, ChannelKind kind, const model::Params& base, const Options& o,
                  Buffers& buf, int total_peers, model::ChannelParams& c) {
    sub.pin(kind);
    const int k = sub.num_peers(), me = sub.peer_id();
    const bool slow = kind == ChannelKind::s3;
    const int reps = slow ? std::max(3, o.latency_reps / 4) : o.latency_reps;
    c.latency_at_peers[k] = barrier_time(sub, reps, !slow) / barrier_steps(base, kind, k);
    progress(sub, std::string(to_string(kind)) + ": collective step with " + std::to_string(k) + " peers " +
                      std::to_string(c.latency_at_peers[k] * 1e6) + " us");
    const std::size_t M = o.bandwidth_bytes;
    if (k == 2) {
        if (!slow) ping_pong(sub, 0, 1, 8, reps, buf);  // warm-up, as for the barrier
        c.latency_s = slowest(sub, ping_pong(sub, 0, 1, 8, reps, buf));
        c.bandwidth_at_bytes.clear();
        for (std::size_t bytes : {std::size_t{64} << 10, std::size_t{1} << 20, M}) {
            if (bytes > M) continue;
            // 21 round trips: on shared cores a burst of other work can slow
            // a third of a short series, and one bad median halves the
            // bandwidth (a 2x misjudgement flips direct against Redis).
            double half = slowest(sub, ping_pong(sub, 0, 1, bytes, slow ? 3 : 21, buf));
            // S3's bandwidth is per leg: a message is a PUT and a GET of its bytes.
            const double legs = kind == ChannelKind::s3 ? 2.0 : 1.0;
            c.bandwidth_at_bytes[bytes] = legs * static_cast<double>(bytes) / std::max(half - c.latency_s, half * 0.05);
        }
        c.bandwidth_Bps = c.bandwidth_at_bytes.rbegin()->second;
        progress(sub, std::string(to_string(kind)) + ": latency " + std::to_string(c.latency_s * 1e6) +
                          " us, bandwidth " + std::to_string(c.bandwidth_Bps / 1e6) + " MB/s");
    }
    const int pairs = k / 2;
    (void)total_peers;
    if (pairs >= 2) {
        sub.barrier();
        double mine = 0.0;
        if (me % 2 == 0 && me + 1 < 2 * pairs) mine = ping_pong(sub, me, me + 1, M, slow ? 2 : 9, buf);
        else if (me % 2 == 1) ping_pong(sub, me - 1, me, M, slow ? 2 : 9, buf);
        double half = slowest(sub, mine);
        const double legs = kind == ChannelKind::s3 ? 2.0 : 1.0;
        c.aggregate_at_peers[k] = legs * pairs * static_cast<double>(M) / std::max(half - c.latency_s, half * 0.05);
        progress(sub, std::string(to_string(kind)) + ": aggregate bandwidth of " + std::to_string(pairs) +
                          " pairs " + std::to_string(c.aggregate_at_peers[k] / 1e6) + " MB/s");
    }
    sub.pin(std::nullopt);
}

std::string now_utc() {
    std::time_t t = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return text;
}

}  // namespace

std::vector<ChannelKind> channels_to_measure(const Communicator& comm, const Options& options) {
    std::vector<ChannelKind> enabled;
    const Config& c = comm.config();
    if (c.direct.enabled) enabled.push_back(ChannelKind::direct);
    if (c.redis.enabled) enabled.push_back(ChannelKind::redis);
    if (c.s3.enabled) enabled.push_back(ChannelKind::s3);
    if (options.channels.empty()) return enabled;
    for (ChannelKind kind : options.channels)
        if (std::find(enabled.begin(), enabled.end(), kind) == enabled.end())
            throw UsageError(std::string("fmi-calibrate: channel '") + to_string(kind) +
                             "' is not enabled in the configuration");
    return options.channels;
}

std::string calibrate(Communicator& comm, const Options& options) {
    const int n = comm.num_peers(), me = comm.peer_id();
    if (n < 2) throw UsageError("fmi-calibrate: needs at least 2 peers (fmirun -n 2 or more)");
    model::Section section = model::parse_section(comm.config().model_json, "the configuration's model section");
    const std::vector<ChannelKind> channels = channels_to_measure(comm, options);
    for (ChannelKind kind : channels) {
        model::ChannelParams& c = section.params.channel(kind);
        c.latency_at_peers.clear();
        c.aggregate_at_peers.clear();
        c.aggregate_bandwidth_Bps = 0.0;  // jobs of fewer peers than measured: no shared limit
    }
    // The waiting peers block in the main communicator on its first channel
    // (direct when enabled): blocked, they take no CPU from the measured ones.
    comm.pin(comm.config().direct.enabled ? ChannelKind::direct : channels.front());
    Buffers buf(options.bandwidth_bytes, options.bandwidth_bytes);
    for (int k : active_counts(n)) {
        if (me < k) {
            Communicator sub(me, k, comm.name() + ".calibrate." + std::to_string(k), comm.config());
            for (ChannelKind kind : channels)
                measure_with(sub, kind, section.params, options, buf, n, section.params.channel(kind));
            // The reduction's speed with 2 peers computing at once (a core
            // each here); contention beyond shows in the latencies and the
            // aggregate bandwidth measured at more peers.
            if (k == 2) section.params.reduce_Bps = reduce_speed(sub, buf);
            sub.finalize();
        }
        comm.barrier();
    }
    progress(comm, "reduction " + std::to_string(section.params.reduce_Bps / 1e6) + " MB/s");
    // Peer 0 measured every k; its parameters are the result.
    comm.pin(std::nullopt);
    if (me != 0) return {};
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    section.params.source = "fmi-calibrate on " + std::string(host) + " with " + std::to_string(n) + " peers, " + now_utc();
    nlohmann::ordered_json out;
    out["model"] = nlohmann::ordered_json::parse(model::to_json(section));
    return out.dump(2) + "\n";
}

}  // namespace fmi::calibrate
