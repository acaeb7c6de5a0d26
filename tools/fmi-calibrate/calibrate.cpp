// Calibration, per channel. For k = 2, 4, 8, ... N the first k peers form a
// communicator of their own (the others wait), so every figure is what a job
// of k peers sees on this host:
//  - latency_at_peers[k]: an 8-byte allreduce of k peers (timed as --verify
//    times it), divided by the steps the model counts for it on the channel
//    (a collective step's latency, with whatever a step costs there: S3's
//    polls and parallel GETs, Redis's server under k clients);
//  - message_latency_at_peers[k]: half an 8-byte round trip of peers 0 and
//    1 while the others wait in a collective (as --verify times send/recv);
//  - k = 2: latency_s, the same at 2 peers; bandwidth_at_bytes,
//    from round trips of 64 KiB, 1 MiB and --bandwidth-bytes:
//    bytes / (half round trip - latency); bandwidth_Bps, the largest size's;
//  - every k: aggregate_at_peers[k], from allreduces of --bandwidth-bytes,
//    an eighth, a 32nd and a 256th of it (every peer moving its data at
//    once): at each size the shared limit for which the model predicts the
//    measured time;
//  - everything is timed as --verify times an operation (batches of
//    --batch-seconds after a warm-up), the round trips and allreduces in one
//    series of ascending size as --verify sweeps, so both measure alike;
//  - at k = 2 (first, as the allreduce's prediction uses it), the reduction
//    speed: a float sum over touched memory, both peers at once.
// The result keeps the configuration's own model section (prices, pins) and
// replaces the measured channels' parameters.
#include "calibrate.hpp"

#include "measure.hpp"

#include <fmi/model.hpp>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>
#include <iostream>

namespace fmi::calibrate {

namespace {

void progress(const Communicator& comm, const std::string& line) {
    if (comm.peer_id() == 0) std::cerr << "fmi-calibrate: " << line << std::endl;
}

/// The payload of the collective that calibrates a step's latency: an
/// 8-byte allreduce, the commonest small collective (a loss, a counter).
constexpr std::size_t kStepProbeBytes = 8;

std::vector<int> active_counts(int n) {
    std::vector<int> counts;
    for (int k = 2; k < n; k *= 2) counts.push_back(k);
    if (n >= 2) counts.push_back(n);
    return counts;
}

/// The steps the model counts for an 8-byte allreduce of k peers on `kind`
/// (its time with a latency of 1 s: transfer and reduction of 8 bytes are
/// nanoseconds against it).
double allreduce_steps(const model::Params& params, ChannelKind kind, int k) {
    model::Params unit = params;
    model::ChannelParams& c = unit.channel(kind);
    c.latency_s = 1.0;
    c.latency_at_peers.clear();
    c.poll_interval_s = 0.0;
    return model::predict(unit, kind, model::Request{Operation::allreduce, kStepProbeBytes, k, 128}).seconds;
}

constexpr double kLeastAggregate = 1e6, kMostAggregate = 1e12;  // B/s

/// The model's time for `probe` with a shared limit of `aggregate` B/s.
double predicted_with(const model::Params& params, ChannelKind kind, const model::Request& probe, double aggregate) {
    model::Params p = params;
    p.channel(kind).aggregate_at_peers[probe.peers][probe.bytes] = aggregate;
    return model::predict(p, kind, probe).seconds;
}

/// Whether the model's time for `probe` depends on the shared limit.
bool uses_aggregate(const model::Params& params, ChannelKind kind, const model::Request& probe) {
    return predicted_with(params, kind, probe, kLeastAggregate) >
           predicted_with(params, kind, probe, kMostAggregate) * 1.001;
}

/// The aggregate bandwidth at k peers for which the model predicts `measured`
/// seconds for `probe`: the model's time falls as the aggregate grows, so a
/// bisection (in log space, 1 MB/s to 1 TB/s) finds it. Faster than the
/// model even without a shared limit: 1 TB/s, no limit in effect. The
/// model's time must depend on it (uses_aggregate).
double aggregate_for(const model::Params& params, ChannelKind kind, const model::Request& probe, double measured) {
    auto predicted = [&](double aggregate) { return predicted_with(params, kind, probe, aggregate); };
    double lo = kLeastAggregate, hi = kMostAggregate;
    if (predicted(hi) >= measured) return hi;
    if (predicted(lo) <= measured) return lo;
    for (int i = 0; i < 60; ++i) {
        const double mid = std::sqrt(lo * hi);
        (predicted(mid) > measured ? lo : hi) = mid;
    }
    return std::sqrt(lo * hi);
}

/// Seconds per operation, timed as --verify times it: the median of three
/// batches of about a quarter second (at least one operation), after an
/// untimed warm-up of `warm_up_batches` of a batch. TCP's windows, the
/// direct channel's spin and S3's first pause adapt to a new size over the
/// first operations (the 64 KiB round trip came out 2-5x slow without a
/// warm-up), and a single series of 21 round trips put Redis's 1 MiB
/// message 15-50% above what --verify measured in later jobs; three
/// batches of 3 allreduces put 2-peer direct allreduces of 512 KiB at
/// 0.19-0.30 ms in three jobs, and S3's 4-peer 64 KiB allreduce, timed once
/// per batch, at 82 ms where --verify measured 29.
double timed_like_verify(Communicator& sub, Operation op, std::size_t bytes, const Options& o, double warm_up_batches,
                         Buffers& buf) {
    const Batching batching{o.batch_seconds, o.batches, o.max_reps, o.batch_seconds * warm_up_batches};
    return time_operation(sub, op, bytes, warmed_up_batches(sub, op, bytes, batching, buf), buf);
}

/// Measures `kind` in a communicator of the first k peers.
void measure_with(Communicator& sub, ChannelKind kind, const model::Params& base, const Options& o,
                  Buffers& buf, model::ChannelParams& c) {
    sub.pin(kind);
    const int k = sub.num_peers();
    const std::size_t M = o.bandwidth_bytes;
    if (k == 2 && kind != ChannelKind::direct) {
        // Servers are measured warm, as a long-running one serves a job: two
        // untimed round trips of the largest size first. A freshly started
        // Ceph RGW moved 1 MiB objects at half the speed it reached after a
        // few 16 MiB ones (1 MiB send: 29 ms before, 20 ms after). First of
        // all: placed right before the bandwidth series, it left Redis's
        // 64 KiB round trips 1.3-1.6x slower than --verify measured them
        // later. Not on direct, which has no server and whose mid-size
        // exchanges are slower after large ones (see the series below).
        ping_pong(sub, 0, 1, M, 1, buf);
    }
    // The latencies too are timed as --verify times the 8-byte cases, after
    // a whole batch's warm-up: they are the first measurements of a job and
    // of a channel. (With a quarter batch the 2-peer direct 8-byte
    // allreduce, the first thing a job times, came out 42% above --verify's
    // median.) With 50 S3 operations per batch, and as many untimed, one
    // calibration's 64 KiB allreduces right after them took 227 ms at 8
    // peers, where --verify measured 73-89 ms; after batches of a quarter
    // second, 53, 59 and 94 ms in three calibrations.
    c.latency_at_peers[k] =
        timed_like_verify(sub, Operation::allreduce, kStepProbeBytes, o, 1.0, buf) / allreduce_steps(base, kind, k);
    progress(sub, std::string(to_string(kind)) + ": collective step with " + std::to_string(k) + " peers " +
                      std::to_string(c.latency_at_peers[k] * 1e6) + " us");
    // One message in a job of k peers, the others waiting in a collective
    // (as --verify times send/recv).
    c.message_latency_at_peers[k] = timed_like_verify(sub, Operation::send, 8, o, 1.0, buf);
    progress(sub, std::string(to_string(kind)) + ": message with " + std::to_string(k) + " peers " +
                      std::to_string(c.message_latency_at_peers[k] * 1e6) + " us");

    // The series, in ascending size as --verify and benchmarks sweep: at
    // k = 2 round trips of 64 KiB, 1 MiB and M (the bandwidth); at every k
    // allreduces of M/256, M/32, M/8 and M (the shared limit). Ascending,
    // because what came before moves mid-size times on this host: a 2-peer
    // direct allreduce of 512 KiB took 1.6x as long right after 16 MiB
    // exchanges as before them (--verify, sizes in either order, with and
    // without fixed socket buffers); calibrated with the bandwidth series
    // first (and fewer repetitions), the model put 2-peer direct 1 MiB
    // allreduces 37-62% above --verify.
    struct Step {
        std::size_t bytes;
        Operation op;
    };
    std::vector<Step> series;
    if (k == 2)
        for (std::size_t bytes : {std::size_t{64} << 10, std::size_t{1} << 20, M})
            if (bytes <= M) series.push_back({bytes, Operation::send});
    for (std::size_t size : {M / 256, M / 32, M / 8, M})
        series.push_back({std::max<std::size_t>(4, size / 4 * 4), Operation::allreduce});
    std::stable_sort(series.begin(), series.end(), [](const Step& a, const Step& b) { return a.bytes < b.bytes; });
    std::vector<std::pair<std::size_t, double>> allreduces;  // bytes, seconds
    if (k == 2) {
        c.latency_s = c.message_latency_at_peers[k];
        c.bandwidth_at_bytes.clear();
    }
    for (const Step& step : series) {
        if (step.op == Operation::allreduce) {
            // Only where the model's allreduce shares a limit (not Redis's
            // and S3's at 2 peers: one writer or reader at a time).
            if (uses_aggregate(base, kind, model::Request{Operation::allreduce, step.bytes, k, 128}))
                allreduces.emplace_back(step.bytes,
                                        timed_like_verify(sub, Operation::allreduce, step.bytes, o, 0.25, buf));
            continue;
        }
        const double half = timed_like_verify(sub, Operation::send, step.bytes, o, 0.25, buf);
        // S3's bandwidth is per leg: a message is a PUT and a GET of its bytes.
        const double legs = kind == ChannelKind::s3 ? 2.0 : 1.0;
        c.bandwidth_at_bytes[step.bytes] =
            legs * static_cast<double>(step.bytes) / std::max(half - c.latency_s, half * 0.05);
    }
    if (k == 2) {
        c.bandwidth_Bps = c.bandwidth_at_bytes.rbegin()->second;
        progress(sub, std::string(to_string(kind)) + ": latency " + std::to_string(c.latency_s * 1e6) +
                          " us, bandwidth " + std::to_string(c.bandwidth_Bps / 1e6) + " MB/s");
    }
    // The shared limit: allreduces of M bytes (a model's gradients, the
    // large collective jobs run most), M/8, M/32 and M/256, in which every
    // peer moves its data at once (direct: k streams in each exchange;
    // stores: k writers, then k readers of the server). At each size the
    // aggregate is the value that makes the model's allreduce take the
    // measured time (fitted after the bandwidth series, which it uses).
    // Several sizes, because the limit itself depends on the working set:
    // with 8 peers on this host a 16 MiB allreduce meets page faults inside
    // Redis and leaves the caches on direct, and a model fitted to it alone
    // predicted 1 MiB allreduces at 2x their time; fitted at 2 and 16 MiB,
    // direct's 1 MiB allreduces at 4 peers still came out 1.6x slow (2 MiB
    // took as long per byte as 16 MiB, 1 MiB 35% less). (An allgather's
    // ring, tried first, runs 8 peers on 2 cores in lock-step and gave
    // 3.3 GB/s where the allreduce's pairwise exchanges reached 5.7.)
    // M/256 (64 KiB): 2 peers on 2 cores exchange it about as fast as one
    // stream moves it one way, but 512 KiB at half that speed; scaled down
    // from 512 KiB, the limit put the 64 KiB allreduce at 2 peers 60-70%
    // above its measured time.
    c.aggregate_at_peers.erase(k);
    for (const auto& [bytes, took] : allreduces) {
        const double aggregate = aggregate_for(base, kind, model::Request{Operation::allreduce, bytes, k, 128}, took);
        c.aggregate_at_peers[k][bytes] = aggregate;
        progress(sub, std::string(to_string(kind)) + ": aggregate bandwidth with " + std::to_string(k) + " peers " +
                          std::to_string(aggregate / 1e6) + " MB/s (allreduce of " + std::to_string(bytes) +
                          " B: " + std::to_string(took * 1e3) + " ms)");
    }
    if (allreduces.empty())
        progress(sub, std::string(to_string(kind)) + ": no shared limit in the model's allreduce with " +
                          std::to_string(k) + " peers");
    sub.pin(std::nullopt);
}

std::string now_utc() {
    std::time_t t = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return text;
}

/// The model section of an earlier fmi-calibrate output ({"model": {...}}).
model::Section read_calibration(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError("fmi-calibrate: --merge: cannot read '" + path + "'");
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("model"))
        throw UsageError("fmi-calibrate: --merge: '" + path + "' is not an fmi-calibrate output ({\"model\": {...}})");
    return model::parse_section(doc["model"].dump(), path);
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
    const bool merging = !options.merge.empty();
    model::Section section = merging ? read_calibration(options.merge)
                                     : model::parse_section(comm.config().model_json, "the configuration's model section");
    const std::vector<ChannelKind> channels = channels_to_measure(comm, options);
    for (ChannelKind kind : channels) {
        model::ChannelParams& c = section.params.channel(kind);
        if (!merging) {
            c.latency_at_peers.clear();
            c.message_latency_at_peers.clear();
            c.aggregate_at_peers.clear();
        }
        c.aggregate_bandwidth_Bps = 0.0;  // the table by peer count replaces it
    }
    // The waiting peers block in the main communicator on its first channel
    // (direct when enabled): blocked, they take no CPU from the measured ones.
    comm.pin(comm.config().direct.enabled ? ChannelKind::direct : channels.front());
    Buffers buf(options.bandwidth_bytes, options.bandwidth_bytes);
    // Touching the buffers costs every peer ~14 us per page (perf-notes): at
    // 8 peers, ~0.7 s of CPU. Peers that finish early would otherwise measure
    // while the others still fault pages in, and see twice the latency.
    comm.barrier();
    for (int k : merging ? std::vector<int>{n} : active_counts(n)) {
        if (me < k) {
            Communicator sub(me, k, comm.name() + ".calibrate." + std::to_string(k), comm.config());
            // The reduction's speed with 2 peers computing at once (a core
            // each here); contention beyond shows in the latencies and the
            // aggregate bandwidth measured at more peers.
            if (k == 2) section.params.reduce_Bps = reduce_speed(sub, buf);
            for (ChannelKind kind : channels)
                measure_with(sub, kind, section.params, options, buf, section.params.channel(kind));
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
    const std::string run = std::to_string(n) + " peers, " + now_utc();
    section.params.source = merging ? section.params.source + "; merged " + run
                                    : "fmi-calibrate on " + std::string(host) + " with " + run;
    nlohmann::ordered_json out;
    out["model"] = nlohmann::ordered_json::parse(model::to_json(section));
    return out.dump(2) + "\n";
}

}  // namespace fmi::calibrate
