// The performance and cost model that chooses each operation's channel
// (docs/model.md). Pure functions: parameters, operation, bytes and peers in;
// predicted seconds and US dollars out. Units are SI throughout: seconds,
// bytes, bytes per second, dollars (per request, per GB of transfer, per hour
// of infrastructure, per GiB-second of function memory).
#pragma once

#include <fmi/config.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fmi {

/// The operations a communicator runs (send covers a send/recv pair).
enum class Operation { send, bcast, barrier, gather, scatter, allgather, reduce, allreduce, scan };

const char* to_string(Operation op) noexcept;
/// Parses "send", "bcast", ...; nullopt for anything else.
std::optional<Operation> parse_operation(std::string_view name) noexcept;

namespace model {

/// What one channel costs in time. For a peer-to-peer channel a "message"
/// is one send; for a store channel it is one request round trip.
struct ChannelParams {
    double latency_s = 0.0;                 ///< one message (or store request round trip) between 2 peers
    double bandwidth_Bps = 1.0;             ///< one stream, bytes per second
    double aggregate_bandwidth_Bps = 0.0;   ///< all concurrent streams together (0: no shared limit)
    /// Latency of one step of a collective in a job of k peers (fmi-calibrate
    /// times an 8-byte allreduce of k peers and divides by its steps); between measured
    /// counts interpolated in log2(k), beyond them held flat. Empty: latency_s
    /// at every peer count (each function on its own core, as on Lambda).
    std::map<int, double> latency_at_peers;
    /// Bandwidth of one stream by message size (fmi-calibrate: 64 KiB, 1 MiB,
    /// 16 MiB), interpolated in log2(bytes), held flat beyond. On one host
    /// caches make mid-sized messages faster. Empty: bandwidth_Bps.
    std::map<std::size_t, double> bandwidth_at_bytes;
    /// Aggregate bandwidth measured in jobs of k peers, by the bytes per
    /// peer of the operation (fmi-calibrate: the values that make the
    /// model's allreduces of 64 KiB, 512 KiB, 2 MiB and 16 MiB of k peers
    /// take the measured times; in the JSON {"<k>": {"<bytes>": value}}, or
    /// {"<k>": value} for a value at every size, kept under bytes 0). Jobs
    /// smaller than the first count have no shared limit; between counts
    /// interpolated in log2(k), flat beyond. Between sizes the inverse
    /// (seconds per byte) interpolated in log2(bytes), flat above the
    /// largest; below the smallest scaled up by the cache gain of one
    /// stream, bandwidth(bytes) / bandwidth(smallest) (bandwidth_Bps for
    /// bytes 0). Empty: aggregate_bandwidth_Bps (scaled alike) at every count.
    std::map<int, std::map<std::size_t, double>> aggregate_at_peers;
    /// Extra delay of a wait that polls (S3), added to every wait; 0 when
    /// the measured latency already includes it (fmi-calibrate's does).
    double poll_interval_s = 0.0;
    /// Latency of one message (send/recv) in a job of k peers, while the
    /// others wait in a collective (fmi-calibrate: half an 8-byte round trip
    /// of peers 0 and 1, as --verify times it). On shared cores the waiting
    /// peers slow a pair down (here 5.8 us at 2 peers, 12 us at 8).
    /// Interpolated in log2(k), flat beyond. Empty: latency_s.
    std::map<int, double> message_latency_at_peers;

    /// The latency of a collective step with `peers` peers.
    double latency(int peers) const;
    /// The latency of one message in a job of `peers` peers.
    double message_latency(int peers) const;
    /// The bandwidth of one stream moving `bytes`.
    double bandwidth(double bytes) const;
    /// The shared limit of all streams in an operation of `peers` peers
    /// moving `bytes` each (0: none).
    double aggregate(int peers, double bytes) const;
};

/// What things cost in money (US dollars).
struct Prices {
    double faas_gib_second = 0.0;         ///< function memory, per GiB-second
    double s3_put_request = 0.0;          ///< PUT, COPY, POST, LIST
    double s3_get_request = 0.0;          ///< GET, HEAD
    double transfer_per_gb = 0.0;         ///< data moved through a store (0 within a region)
    double redis_instance_per_hour = 0.0; ///< the Redis server
    double rendezvous_vm_per_hour = 0.0;  ///< the VM running fmi-rendezvous (direct channel)
    /// Fraction of the hourly prices billed to this job (1: the job has the
    /// instance and the VM to itself; 0.1: ten jobs share them).
    double infrastructure_share = 1.0;
    /// How many operations of the job share one hour of the infrastructure:
    /// an operation is billed max(its time, 1 / operations_per_hour) of the
    /// hourly prices (the original's "requests_per_hour").
    double operations_per_hour = 1000.0;
};

/// The algorithms' switch points, taken from the configuration so that the
/// model predicts the algorithm each channel will really run.
struct Limits {
    std::size_t p2p_recursive_doubling_max_bytes = 128u << 10;
    std::size_t p2p_segment_bytes = 512u << 10;  ///< a pipelined chain (linear scan) moves segments of this size
    std::size_t redis_inline_bytes = 32u << 10;
    std::size_t redis_chunk_bytes = 512u << 10;
    std::size_t s3_multipart_bytes = 16u << 20;
    std::size_t s3_parallel_transfers = 4;
};

/// Everything the model needs.
struct Params {
    ChannelParams direct, redis, s3;
    Prices prices;
    /// Speed of an element-wise reduction (bytes of one operand per second).
    double reduce_Bps = 2e9;
    Limits limits;
    /// Where the parameters came from ("defaults", "calibrated on <host> at <time>").
    std::string source = "defaults";

    const ChannelParams& channel(ChannelKind kind) const;
    ChannelParams& channel(ChannelKind kind);
};

/// The defaults: the original FMI's AWS Lambda measurements and AWS prices
/// (each with its source in src/model/defaults.cpp and docs/model.md).
Params default_params();

/// One operation as the model sees it.
struct Request {
    Operation op = Operation::send;
    std::size_t bytes = 0;           ///< payload bytes per peer (each block for gather/scatter/allgather)
    int peers = 2;
    std::size_t faas_memory_mib = 128;
    /// The algorithm asked for, by the name Prediction::algorithm reports
    /// (one of algorithms(op)); empty: each channel's automatic choice.
    std::string algorithm{};
};

/// The algorithms channel `kind` runs for `op`, by the names
/// Prediction::algorithm reports; the first is its choice for small
/// messages. Functions that are not commutative and associative run the
/// peer-to-peer channel's ordered algorithms whatever is asked for.
std::vector<std::string> algorithms(ChannelKind kind, Operation op);
/// Every channel's algorithms for `op` (direct, redis, s3), each name once.
std::vector<std::string> algorithms(Operation op);

/// Why channel `kind` cannot run request.algorithm for `request` (it does
/// not run it for this operation, or not at this size); empty when it can
/// or when no algorithm is asked for.
std::string cannot_run(ChannelKind kind, const Request& request);

/// The model's answer for one channel.
struct Prediction {
    std::string algorithm;          ///< what the channel runs for this request
    double seconds = 0.0;           ///< time of the operation (the slowest peer)
    double requests = 0.0;          ///< store requests, all peers together (0 for direct)
    double request_dollars = 0.0;
    double transfer_dollars = 0.0;
    double infrastructure_dollars = 0.0;  ///< share of the hourly prices for `seconds`
    double faas_dollars = 0.0;            ///< every peer's memory for `seconds`
    double dollars() const { return request_dollars + transfer_dollars + infrastructure_dollars + faas_dollars; }
};

/// Predicted time and price of `request` on channel `kind`: of
/// request.algorithm, or of the channel's automatic choice when it is empty.
/// An algorithm the channel cannot run (cannot_run) is a UsageError.
Prediction predict(const Params& params, ChannelKind kind, const Request& request);

/// A limit on the other quantity than the one the hint minimises.
/// hint fast + max_dollars: the fastest channel within the price;
/// hint cheap + max_seconds: the cheapest channel within the time.
/// 0 means no limit.
struct Budget {
    double max_seconds = 0.0;
    double max_dollars = 0.0;
};

struct Candidate {
    ChannelKind channel;
    Prediction prediction;
    bool within_budget = true;
};

/// An enabled channel that is no candidate, and why (it cannot run the
/// algorithm the request asks for).
struct Exclusion {
    ChannelKind channel;
    std::string reason;
};

/// Why a channel was chosen: every candidate with its prediction.
struct Explanation {
    Request request;
    Hint hint = Hint::cheap;
    Budget budget;
    std::vector<Candidate> candidates;
    std::vector<Exclusion> excluded;  ///< enabled channels left out by request.algorithm
    ChannelKind chosen = ChannelKind::direct;
    std::string reason;  ///< "pinned", "least predicted time", ...

    /// One line per candidate, for logs.
    std::string to_string() const;
};

/// Chooses among `available` channels (in the order given for ties).
/// `pinned` wins when set (it must be available: else ConfigError). With
/// request.algorithm set, only the channels that can run it are candidates;
/// none (or a pinned channel that cannot) is a UsageError naming the
/// operation, the algorithm, the peers, the bytes and the channels that run it.
Explanation choose(const Params& params, const std::vector<ChannelKind>& available, const Request& request,
                   Hint hint, const Budget& budget, std::optional<ChannelKind> pinned = std::nullopt);

/// The "model" section of a configuration, interpreted.
struct Section {
    Params params;
    std::map<Operation, ChannelKind> pins;  ///< per-operation channel pins
    /// Per-operation algorithm pins ("pin": {"allreduce": "direct/ring"} or
    /// "*/ring"), by the names of algorithms(op).
    std::map<Operation, std::string> algorithm_pins;
    Budget budget;
};

/// Parses a model section: ours (docs/model.md: "direct"/"redis"/"s3"
/// channel parameters, "prices", "pin" ("<channel>", "<channel>/<algorithm>"
/// or "*/<algorithm>" per operation), "budget", ...) or the original FMI's
/// ("FaaS"/"S3"/"Redis"/"Direct" in MB/s and ms), over the defaults. Unknown
/// fields and bad values throw ConfigError naming the field.
Section parse_section(std::string_view json_text, std::string_view origin = "model");

/// The section in our format (what fmi-calibrate writes).
std::string to_json(const Section& section);

}  // namespace model
}  // namespace fmi
