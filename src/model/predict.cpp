// The formulas: predicted time and price of each operation on each channel,
// following the algorithms the channels run (docs/algorithms.md,
// docs/algorithms/redis.md, docs/algorithms/s3.md; the notation of
// docs/model.md). N peers, n bytes per peer, a(N) the channel's latency with
// N peers active, b its per-stream bandwidth, A its aggregate bandwidth
// (0: unlimited), g the reduction speed, L = ceil(log2 N).
//
// A step in which `streams` peers each move `x` bytes at once takes
// x / min(b, A / streams): the per-stream limit or the shared one.
#include <fmi/errors.hpp>
#include <fmi/model.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace fmi::model {

namespace {
/// A table by peer count, interpolated in log2(peers), flat beyond its ends.
double by_peers(const std::map<int, double>& table, int peers) {
    auto above = table.lower_bound(peers);
    if (above == table.end()) return std::prev(above)->second;
    if (above->first == peers || above == table.begin()) return above->second;
    auto below = std::prev(above);
    double x0 = std::log2(below->first), x1 = std::log2(above->first), x = std::log2(peers);
    return below->second + (above->second - below->second) * (x - x0) / (x1 - x0);
}
}  // namespace

double ChannelParams::latency(int peers) const {
    // Contention grows with the number of active peers, and calibration
    // measures powers of two: interpolate in log2(peers).
    return latency_at_peers.empty() ? latency_s : by_peers(latency_at_peers, peers);
}

double ChannelParams::message_latency(int peers) const {
    return message_latency_at_peers.empty() ? latency_s : by_peers(message_latency_at_peers, peers);
}

double ChannelParams::aggregate(int peers) const {
    if (aggregate_at_peers.empty()) return aggregate_bandwidth_Bps;
    if (peers < aggregate_at_peers.begin()->first) return 0.0;  // smaller jobs: no shared limit measured
    return by_peers(aggregate_at_peers, peers);
}

double ChannelParams::bandwidth(double bytes) const {
    if (bandwidth_at_bytes.empty() || bytes <= 0) return bandwidth_Bps;
    auto above = bandwidth_at_bytes.lower_bound(static_cast<std::size_t>(bytes));
    if (above == bandwidth_at_bytes.end()) return std::prev(above)->second;
    if (above == bandwidth_at_bytes.begin()) return above->second;
    auto below = std::prev(above);
    double x0 = std::log2(static_cast<double>(below->first)), x1 = std::log2(static_cast<double>(above->first));
    double x = std::log2(bytes);
    return below->second + (above->second - below->second) * (x - x0) / (x1 - x0);
}

const ChannelParams& Params::channel(ChannelKind kind) const {
    switch (kind) {
        case ChannelKind::direct: return direct;
        case ChannelKind::redis: return redis;
        case ChannelKind::s3: return s3;
    }
    return direct;
}

ChannelParams& Params::channel(ChannelKind kind) {
    return const_cast<ChannelParams&>(static_cast<const Params&>(*this).channel(kind));
}

namespace {

double ceil_log2(int n) {
    int steps = 0;
    for (int reach = 1; reach < n; reach *= 2) ++steps;
    return steps;
}

int floor_pow2(int n) {
    int p = 1;
    while (p * 2 <= n) p *= 2;
    return p;
}

double ceil_div(double a, double b) { return std::ceil(a / b); }

/// Time for `streams` peers to move `bytes` each at once, in a job of
/// `peers` peers (whose size sets the shared limit).
///
/// The shared limit is measured with large transfers (fmi-calibrate: an
/// allreduce of 16 MiB); smaller working sets stay in the caches, which the
/// per-stream bandwidth by size captures (b(1 MiB) ~1.3x b(16 MiB) on direct
/// here), and so do concurrent streams: the limit scales by the same factor
/// where it is above 1 (measured: a 1 MiB allreduce at 2 and 4 peers took
/// half the time the unscaled limit predicted).
double transfer(const ChannelParams& c, double bytes, double streams, int peers) {
    if (bytes <= 0) return 0.0;
    const double per_stream = c.bandwidth(bytes);
    double t = bytes / per_stream;
    const double shared = c.aggregate(peers) * std::max(1.0, per_stream / c.bandwidth_Bps);
    if (streams > 1 && shared > 0) t = std::max(t, streams * bytes / shared);
    return t;
}

struct Shape {
    double N, n;  // peers, bytes per peer
    int peers;
};

// ---- direct: the peer-to-peer algorithms (docs/algorithms.md) -------------

Prediction direct_time(const Params& p, Operation op, const Shape& s) {
    const ChannelParams& c = p.direct;
    const double a = c.latency(s.peers), N = s.N, n = s.n, L = ceil_log2(s.peers), g = p.reduce_Bps;
    Prediction r;
    switch (op) {
        case Operation::send:  // one message
            r.algorithm = "message";
            r.seconds = c.message_latency(s.peers) + transfer(c, n, 1, s.peers);
            break;
        case Operation::bcast:  // binomial tree: the root sends n to L children in turn
            r.algorithm = "binomial";
            r.seconds = L * (a + transfer(c, n, 1, s.peers));
            break;
        case Operation::barrier:  // dissemination: L rounds of empty messages
            r.algorithm = "dissemination";
            r.seconds = L * a;
            break;
        case Operation::gather:
        case Operation::scatter:  // binomial tree: the root moves (N-1) n
            r.algorithm = "binomial";
            r.seconds = L * a + transfer(c, (N - 1) * n, 1, s.peers);
            break;
        case Operation::allgather:  // ring: N-1 steps, every peer passes one block
            r.algorithm = "ring";
            r.seconds = (N - 1) * (a + transfer(c, n, N, s.peers));
            break;
        case Operation::reduce:  // binomial tree, folding at each level
            r.algorithm = "binomial";
            r.seconds = L * (a + transfer(c, n, 1, s.peers) + n / g);
            break;
        case Operation::allreduce: {
            if (n <= static_cast<double>(p.limits.p2p_recursive_doubling_max_bytes)) {
                // log2 P' exchanges of n (+2 to fold in and out the peers beyond P')
                const int pp = floor_pow2(s.peers);
                const double steps = std::log2(pp) + (pp == s.peers ? 0 : 2);
                r.algorithm = "recursive_doubling";
                r.seconds = steps * (a + transfer(c, n, N, s.peers) + n / g);
            } else {
                // reduce-scatter + allgather: 2n (N-1)/N per peer
                const bool pow2 = floor_pow2(s.peers) == s.peers;
                const double steps = pow2 ? 2 * ceil_log2(s.peers) : 2 * (N - 1);
                r.algorithm = pow2 ? "rabenseifner" : "ring";
                r.seconds = steps * a + transfer(c, 2 * n * (N - 1) / N, N, s.peers) + n * (N - 1) / N / g;
            }
            break;
        }
        case Operation::scan:  // recursive doubling: L exchanges of n
            r.algorithm = "recursive_doubling";
            r.seconds = L * (a + transfer(c, n, N, s.peers) + n / g);
            break;
    }
    return r;
}

// ---- redis: the store algorithms (docs/algorithms/redis.md) ---------------
// A message's bandwidth b is end to end (written to and read from the
// server), as fmi-calibrate measures it: a message costs a + n / b.

Prediction redis_time(const Params& p, Operation op, const Shape& s) {
    const ChannelParams& c = p.redis;
    const double a = c.latency(s.peers), N = s.N, n = s.n, g = p.reduce_Bps;
    const double inline_limit =
        static_cast<double>(std::min(p.limits.redis_inline_bytes, p.limits.redis_chunk_bytes));
    const double chunk = static_cast<double>(p.limits.redis_chunk_bytes);
    // A message over the inline limit is K chunks: its sender makes 2K more
    // requests (SET + XADD per chunk), each reader K (GET) and an ack.
    const double K = n > inline_limit ? ceil_div(n, chunk) : 0.0;
    const double acks = K > 0 ? 1.0 : 0.0;
    const bool exchange = N * n <= inline_limit;
    Prediction r;
    switch (op) {
        case Operation::send:
            r.algorithm = "stream";
            r.seconds = c.message_latency(s.peers) + transfer(c, n, 1, s.peers);
            r.requests = 1 + 2 * K + 2 + K;
            break;
        case Operation::bcast:
            r.algorithm = "publish";
            r.seconds = a + transfer(c, n, N - 1, s.peers);  // one message, N-1 readers at once
            r.requests = 2 + 2 * K + (N - 1) * (2 + acks + K);
            break;
        case Operation::barrier:
            r.algorithm = "counter";
            r.seconds = a;
            r.requests = 2 * N;
            break;
        case Operation::gather:
        case Operation::reduce:
            r.algorithm = "arrivals";
            r.seconds = a + transfer(c, (N - 1) * n, 1, s.peers) +  // the root reads N-1 messages
                        (op == Operation::reduce ? (N - 1) * n / g : 0.0);
            r.requests = (N - 1) * (2 + 2 * K) + 1 + (N - 1) + 1 + (N - 1) * K;
            break;
        case Operation::scatter:
            r.algorithm = "direct";
            r.seconds = a + transfer(c, (N - 1) * n, 1, s.peers);  // the root writes N-1 messages
            r.requests = N + (N - 1) * 2 * K + (N - 1) * (3 + K);
            break;
        case Operation::allgather:
        case Operation::scan:
        case Operation::allreduce: {
            if (exchange) {
                // every peer enters with its data and reads all N messages
                r.algorithm = "exchange";
                r.seconds = a + transfer(c, N * n, N, s.peers) + (op == Operation::allgather ? 0.0 : (N - 1) * n / g);
                r.requests = 3 * N;
            } else if (op == Operation::allreduce) {
                // N-1 contributions to the combining peer, then one publish
                r.algorithm = "reduce_publish";
                r.seconds = 2 * a + transfer(c, (N - 1) * n, 1, s.peers) + (N - 1) * n / g +
                            transfer(c, n, N - 1, s.peers);
                r.requests = (N - 1) * (3 + acks) + 3 + (N - 1) + (N - 1) * 3 * K + 2 * K + (N - 1) * K;
            } else {
                // every peer publishes; each reads the others' (scan: lower peers')
                r.algorithm = op == Operation::scan ? "publish_prefix" : "publish";
                r.seconds = a + transfer(c, (N - 1) * n, N, s.peers) +
                            (op == Operation::scan ? (N - 1) * n / g : 0.0);
                r.requests = N * (2 + (N - 1)) + N * (2 * K + (N - 1) * (K + acks));
            }
            break;
        }
    }
    return r;
}

// ---- s3: the object-store algorithms (docs/algorithms/s3.md) ---------------

Prediction s3_time(const Params& p, Operation op, const Shape& s) {
    const ChannelParams& c = p.s3;
    // latency_s is one message: a PUT and the polling GET that finds it; the
    // bandwidth is that of one leg (a PUT or a GET of the bytes).
    const double a = c.latency(s.peers) + c.poll_interval_s, rtt = a / 2, N = s.N, n = s.n, g = p.reduce_Bps;
    const double T = static_cast<double>(p.limits.s3_multipart_bytes);
    const double par = static_cast<double>(std::max<std::size_t>(1, p.limits.s3_parallel_transfers));
    // One object of S bytes moves in max(1, ceil(S/T)) parts, par at a time.
    auto object = [&](double S) {
        if (S <= 0) return 0.0;
        double streams = std::min(par, std::max(1.0, ceil_div(S, T)));
        double bw = streams * c.bandwidth(S / streams);
        if (c.aggregate(s.peers) > 0 && streams > 1) bw = std::min(bw, c.aggregate(s.peers));
        return S / bw;
    };
    auto puts = [&](double S) { return S > T ? ceil_div(S, T) + 2 : 1.0; };  // multipart: create, parts, complete
    auto gets = [&](double L) { return std::max(1.0, ceil_div(L, T)); };
    // The root collects N-1 contributions: a LIST (N > 2), then GETs par at a time.
    auto collect = [&](double bytes_each) {
        if (N <= 2) return 0.0;
        return rtt + (ceil_div(N - 1, par) - 1) * rtt + transfer(c, (N - 1) * bytes_each, std::min(par, N - 1), s.peers) -
               transfer(c, bytes_each, 1, s.peers);
    };
    const double list = N > 2 ? 1.0 : 0.0;
    Prediction r;
    double put = 0, get = 0, lists = 0;
    switch (op) {
        case Operation::send:
            r.algorithm = "put_get";
            r.seconds = c.message_latency(s.peers) + c.poll_interval_s + 2 * object(n);
            put = puts(n);
            get = gets(n) + 0.2;  // measured: ~0.2 polls that find nothing per message
            break;
        case Operation::bcast:
            r.algorithm = "one_put";
            r.seconds = a + object(n) + std::max(object(n), transfer(c, n, N - 1, s.peers));
            put = puts(n);
            get = (N - 1) * (gets(n) + 1);
            break;
        case Operation::scatter:
            r.algorithm = "one_object";
            r.seconds = a + object(N * n) + std::max(object(n), transfer(c, n, N - 1, s.peers));
            put = puts(N * n);
            get = (N - 1) * (gets(n) + 1);
            break;
        case Operation::barrier:
            r.algorithm = "collect_release";
            r.seconds = 2 * a + collect(0);
            put = N;
            get = N > 2 ? N - 1 : 2;
            get += N - 1;
            lists = list;
            break;
        case Operation::gather:
        case Operation::reduce:
            r.algorithm = op == Operation::gather ? "collect" : "collect_fold";
            r.seconds = a + 2 * object(n) + collect(n) + (op == Operation::reduce ? (N - 1) * n / g : 0.0);
            put = (N - 1) * puts(n);
            get = (N - 1) * gets(n) + 1;
            lists = list;
            break;
        case Operation::allgather:
        case Operation::allreduce:
        case Operation::scan: {
            // contributions to peer 0, which collects (and folds) and publishes
            const double result = op == Operation::allgather ? N * n : op == Operation::scan ? (N - 1) * n : n;
            const double read = op == Operation::allgather ? N * n : n;
            r.algorithm = op == Operation::allgather ? "collect_publish" : "collect_publish";
            r.seconds = 2 * a + 2 * object(n) + collect(n) + (op == Operation::allgather ? 0.0 : (N - 1) * n / g) +
                        object(result) + std::max(object(read), transfer(c, read, N - 1, s.peers));
            put = (N - 1) * puts(n) + puts(result);
            get = (N - 1) * gets(n) + (N - 1) * gets(read) + (N - 1);  // + ~1 empty poll per waiting peer
            lists = list;
            break;
        }
    }
    r.requests = put + get + lists;
    r.request_dollars = (put + lists) * p.prices.s3_put_request + get * p.prices.s3_get_request;
    return r;
}

/// Bytes that pass through a store (in and out), for transfer prices.
double store_bytes(Operation op, const Shape& s) {
    switch (op) {
        case Operation::send: return 2 * s.n;
        case Operation::barrier: return 0;
        case Operation::bcast:
        case Operation::scatter: return s.N * s.n;
        case Operation::gather:
        case Operation::reduce: return 2 * (s.N - 1) * s.n;
        case Operation::allgather: return s.N * s.n + s.N * s.N * s.n;
        case Operation::allreduce:
        case Operation::scan: return 2 * s.N * s.n;
    }
    return 0;
}

}  // namespace

Prediction predict(const Params& params, ChannelKind kind, const Request& request) {
    if (request.peers < 1)
        throw UsageError("model: peer count " + std::to_string(request.peers) + " must be at least 1");
    Shape s{static_cast<double>(request.peers), static_cast<double>(request.bytes), request.peers};
    Prediction r;
    const bool alone = request.peers == 1 && request.op != Operation::send;
    if (alone) {
        r.algorithm = "local";  // one peer: a local copy on every channel
    } else {
        switch (kind) {
            case ChannelKind::direct: r = direct_time(params, request.op, s); break;
            case ChannelKind::redis: r = redis_time(params, request.op, s); break;
            case ChannelKind::s3: r = s3_time(params, request.op, s); break;
        }
    }
    const Prices& price = params.prices;
    // Every participating function is billed for the operation's time.
    const double participants = request.op == Operation::send ? 2.0 : s.N;
    r.faas_dollars = participants * (static_cast<double>(request.faas_memory_mib) / 1024.0) * r.seconds *
                     price.faas_gib_second;
    // Infrastructure hours: the operation holds the instance for its time,
    // and at least its share of an hour of the job's operations.
    const double hourly = kind == ChannelKind::redis    ? price.redis_instance_per_hour
                          : kind == ChannelKind::direct ? price.rendezvous_vm_per_hour
                                                        : 0.0;
    if (!alone) {
        const double hours = std::max(r.seconds / 3600.0,
                                      price.operations_per_hour > 0 ? 1.0 / price.operations_per_hour : 0.0);
        r.infrastructure_dollars = hourly * price.infrastructure_share * hours;
        if (kind != ChannelKind::direct)
            r.transfer_dollars = store_bytes(request.op, s) / 1e9 * price.transfer_per_gb;
    }
    return r;
}

}  // namespace fmi::model
