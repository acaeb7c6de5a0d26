// The formulas: predicted time and price of each operation on each channel,
// following the algorithms the channels run (docs/algorithms.md,
// docs/algorithms/redis.md, docs/algorithms/s3.md; the notation of
// docs/model.md). N peers, n bytes per peer, a(N) the channel's latency with
// N peers active, b its per-stream bandwidth, A its aggregate bandwidth
// (0: unlimited), g the reduction speed, L = ceil(log2 N).
//
// A step in which `streams` peers each move `x` bytes at once takes
// x / min(b, A / streams): the per-stream limit or the shared one.
//
// Where a channel has several algorithms for an operation, each has its own
// formula (kFormulas); a request may name one (Request::algorithm), else the
// channel's automatic choice is predicted.
#include <fmi/errors.hpp>
#include <fmi/model.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace fmi::model {

namespace {
/// A table's value at x: between two keys interpolated in log2 of the key,
/// flat beyond its ends (calibration measures at powers of two, of peers
/// and of bytes). `value` reads an entry: a number, or a nested table.
template <class Key, class Entry, class Value>
double by_log2(const std::map<Key, Entry>& table, double x, const Value& value) {
    auto above = table.lower_bound(static_cast<Key>(std::ceil(x)));
    if (above == table.end()) return value(std::prev(above)->second);
    if (above == table.begin() || static_cast<double>(above->first) == x) return value(above->second);
    auto below = std::prev(above);
    const double x0 = std::log2(static_cast<double>(below->first)), x1 = std::log2(static_cast<double>(above->first));
    const double y0 = value(below->second), y1 = value(above->second);
    return y0 + (y1 - y0) * (std::log2(x) - x0) / (x1 - x0);
}

template <class Key>
double by_log2(const std::map<Key, double>& table, double x) {
    return by_log2(table, x, [](double v) { return v; });
}
}  // namespace

double ChannelParams::latency(int peers) const {
    // Contention grows with the number of active peers, and calibration
    // measures powers of two: interpolate in log2(peers).
    return latency_at_peers.empty() ? latency_s : by_log2(latency_at_peers, peers);
}

double ChannelParams::message_latency(int peers) const {
    return message_latency_at_peers.empty() ? latency_s : by_log2(message_latency_at_peers, peers);
}

namespace {
/// Above 1 where `bytes` stream faster than the `reference` size (caches).
double cache_gain(const ChannelParams& c, double bytes, double reference_Bps) {
    return reference_Bps > 0 ? std::max(1.0, c.bandwidth(bytes) / reference_Bps) : 1.0;
}

/// One job size's shared limit for operations of `bytes` per peer: between
/// the measured sizes, its inverse (seconds per byte, what a transfer adds
/// up) interpolated in log2(bytes), so a size where no limit was in effect
/// (calibration writes 1e12 B/s) gives way gradually to the next one's;
/// flat above the largest; below the smallest (and for a limit measured at
/// no stated size, key 0) scaled by the cache gain of one stream over the
/// measured size.
double by_bytes(const ChannelParams& c, const std::map<std::size_t, double>& table, double bytes) {
    if (table.empty()) return 0.0;
    const auto first = table.begin();
    if (first->first == 0) return first->second * cache_gain(c, bytes, c.bandwidth_Bps);
    if (bytes <= static_cast<double>(first->first))
        return first->second * cache_gain(c, bytes, c.bandwidth(static_cast<double>(first->first)));
    const auto inverse = [](double v) { return v > 0 ? 1.0 / v : 0.0; };
    return inverse(by_log2(table, bytes, inverse));
}
}  // namespace

double ChannelParams::aggregate(int peers, double bytes) const {
    if (aggregate_at_peers.empty()) return aggregate_bandwidth_Bps * cache_gain(*this, bytes, bandwidth_Bps);
    if (peers < aggregate_at_peers.begin()->first) return 0.0;  // smaller jobs: no shared limit measured
    return by_log2(aggregate_at_peers, peers, [&](const std::map<std::size_t, double>& by_size) {
        return by_bytes(*this, by_size, bytes);
    });
}

double ChannelParams::bandwidth(double bytes) const {
    return bandwidth_at_bytes.empty() || bytes <= 0 ? bandwidth_Bps : by_log2(bandwidth_at_bytes, bytes);
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

struct Shape {
    double N, n;  // peers, bytes per peer
    int peers;
};

/// Time for `streams` peers to move `bytes` each at once, in an operation of
/// shape `s` (whose peers and bytes per peer select the shared limit:
/// ChannelParams::aggregate).
double transfer(const ChannelParams& c, double bytes, double streams, const Shape& s) {
    if (bytes <= 0) return 0.0;
    double t = bytes / c.bandwidth(bytes);
    const double shared = c.aggregate(s.peers, s.n);
    if (streams > 1 && shared > 0) t = std::max(t, streams * bytes / shared);
    return t;
}

/// What the formula of one algorithm sees: its channel's parameters and the
/// request's shape, with a = a(N) and g the reduction speed.
struct Terms {
    const Params& p;
    const ChannelParams& c;
    Shape shape;
    double a, m, N, n, g;
    int peers;

    Terms(const Params& params, const ChannelParams& channel, const Shape& s)
        : p(params), c(channel), shape(s), a(channel.latency(s.peers)), m(channel.message_latency(s.peers)), N(s.N),
          n(s.n), g(params.reduce_Bps), peers(s.peers) {}
    /// `streams` peers moving `bytes` each at once (transfer()).
    double T(double bytes, double streams) const { return transfer(c, bytes, streams, shape); }
    /// The latency of a store step in which `active` of the N peers write
    /// (or read) at once: from one message's, m(N) (one writer, one reader),
    /// to a whole step's, a(N) (all N, as in the exchange fmi-calibrate
    /// times), linearly in the active peers. Why: at 2 peers a reduce +
    /// publish is two messages, and priced as two exchange steps (each peer
    /// writing and reading) the Redis 64 KiB allreduce came out 20% above
    /// its measured time in the median of 15 runs, and past 35% in three of
    /// nine validations; as two messages, -18% to +12% in the four since
    /// (docs/model.md, "Validation").
    double store_step(double active) const { return N > 1 ? m + (a - m) * (active - 1) / (N - 1) : a; }
};

/// An algorithm's predicted time and store requests (all peers together).
struct Cost {
    double seconds = 0.0;
    double requests = 0.0;
};

// ---- direct: the peer-to-peer algorithms (docs/algorithms.md) -------------
// The operations with several algorithms have one formula each, following
// the steps and bytes at the top of src/collectives/p2p/<op>_<algorithm>.cpp.

// bcast, binomial tree: the root sends n to L children in turn
Cost direct_bcast_binomial(const Terms& t) { return {ceil_log2(t.peers) * (t.a + t.T(t.n, 1))}; }

// bcast, scatter + ring allgather: the root scatters n (N-1)/N down the tree
// (L steps), then N-1 ring steps in which every peer passes a block of n/N
Cost direct_bcast_scatter_allgather(const Terms& t) {
    const double L = ceil_log2(t.peers);
    return {L * t.a + t.T(t.n * (t.N - 1) / t.N, 1) + (t.N - 1) * (t.a + t.T(t.n / t.N, t.N))};
}

// allreduce, recursive doubling: log2 P' exchanges of n (+2 to fold in and
// out the peers beyond P')
Cost direct_allreduce_recursive_doubling(const Terms& t) {
    const int pp = floor_pow2(t.peers);
    const double steps = std::log2(pp) + (pp == t.peers ? 0 : 2);
    return {steps * (t.a + t.T(t.n, t.N) + t.n / t.g)};
}

// allreduce, Rabenseifner: reduce-scatter + allgather among P' peers,
// 2n (P'-1)/P' per peer in 2 log2 P' steps; beyond P', the first 2 rem peers
// fold pairwise before (n each way, rem pairs at once) and unfold after
Cost direct_allreduce_rabenseifner(const Terms& t) {
    const int pp = floor_pow2(t.peers);
    const double P = pp, rem = t.peers - pp;
    double seconds = 2 * ceil_log2(pp) * t.a + t.T(2 * t.n * (P - 1) / P, P) + t.n * (P - 1) / P / t.g;
    if (rem > 0) seconds += 2 * (t.a + t.T(t.n, rem)) + t.n / t.g;
    return {seconds};
}

// allreduce, ring: reduce-scatter + allgather around the ring, 2n (N-1)/N
// per peer in 2 (N-1) steps
Cost direct_allreduce_ring(const Terms& t) {
    return {2 * (t.N - 1) * t.a + t.T(2 * t.n * (t.N - 1) / t.N, t.N) + t.n * (t.N - 1) / t.N / t.g};
}

// scan, recursive doubling: L exchanges of n
Cost direct_scan_recursive_doubling(const Terms& t) {
    return {ceil_log2(t.peers) * (t.a + t.T(t.n, t.N) + t.n / t.g)};
}

// scan, linear chain: N-1 hops of n, pipelined in segments: S segments take
// N-2+S steps of one segment each
Cost direct_scan_linear(const Terms& t) {
    const double segment = static_cast<double>(std::max<std::size_t>(1, t.p.limits.p2p_segment_bytes));
    const double S = std::max(1.0, ceil_div(t.n, segment)), x = t.n / S;
    return {(t.N - 2 + S) * (t.a + t.T(x, 1) + x / t.g)};
}

std::string_view direct_automatic(const Params& p, Operation op, const Shape& s);
std::string_view redis_automatic(const Params& p, Operation op, const Shape& s);
Cost formula_cost(ChannelKind kind, Operation op, std::string_view algorithm, const Terms& t);

Prediction direct_time(const Params& p, Operation op, const Shape& s, std::string_view algorithm) {
    const ChannelParams& c = p.direct;
    const double a = c.latency(s.peers), N = s.N, n = s.n, L = ceil_log2(s.peers), g = p.reduce_Bps;
    Prediction r;
    switch (op) {
        case Operation::send:  // one message
            r.algorithm = "message";
            r.seconds = c.message_latency(s.peers) + transfer(c, n, 1, s);
            break;
        case Operation::bcast:
        case Operation::allreduce:
        case Operation::scan: {  // several algorithms: the one asked for, or the automatic choice
            const std::string_view name = algorithm.empty() ? direct_automatic(p, op, s) : algorithm;
            r.algorithm = name;
            r.seconds = formula_cost(ChannelKind::direct, op, name, Terms(p, c, s)).seconds;
            break;
        }
        case Operation::barrier:  // dissemination: L rounds of empty messages
            r.algorithm = "dissemination";
            r.seconds = L * a;
            break;
        case Operation::gather:
        case Operation::scatter:  // binomial tree: the root moves (N-1) n
            r.algorithm = "binomial";
            r.seconds = L * a + transfer(c, (N - 1) * n, 1, s);
            break;
        case Operation::allgather:  // ring: N-1 steps, every peer passes one block
            r.algorithm = "ring";
            r.seconds = (N - 1) * (a + transfer(c, n, N, s));
            break;
        case Operation::reduce:  // binomial tree, folding at each level
            r.algorithm = "binomial";
            r.seconds = L * (a + transfer(c, n, 1, s) + n / g);
            break;
    }
    return r;
}

/// What selection.cpp picks with the default P2POptions.
std::string_view direct_automatic(const Params& p, Operation op, const Shape& s) {
    switch (op) {
        case Operation::allreduce:
            if (s.n <= static_cast<double>(p.limits.p2p_recursive_doubling_max_bytes)) return "recursive_doubling";
            return floor_pow2(s.peers) == s.peers ? "rabenseifner" : "ring";
        case Operation::scan: return "recursive_doubling";
        default: return "binomial";  // bcast: scatter + allgather is never chosen by default
    }
}

// ---- redis: the store algorithms (docs/algorithms/redis.md) ---------------
// A message's bandwidth b is end to end (written to and read from the
// server), as fmi-calibrate measures it: a message costs a + n / b.

/// The chunking of an n-byte message: over the inline limit it is K chunks;
/// its sender makes 2K more requests (SET + XADD per chunk), each reader K
/// (GET) and an ack.
struct Chunks {
    double K, acks;
};
Chunks redis_chunks(const Params& p, double n) {
    const double inline_limit =
        static_cast<double>(std::min(p.limits.redis_inline_bytes, p.limits.redis_chunk_bytes));
    const double K = n > inline_limit ? ceil_div(n, static_cast<double>(p.limits.redis_chunk_bytes)) : 0.0;
    return {K, K > 0 ? 1.0 : 0.0};
}

// The operations with two algorithms (src/collectives/redis/select.cpp).
// Exchange: every peer enters with its data and reads all N messages
// (allreduce and scan fold N-1 of them).
Cost redis_allgather_exchange(const Terms& t) { return {t.a + t.T(t.N * t.n, t.N), 3 * t.N}; }
Cost redis_fold_exchange(const Terms& t) {
    return {t.a + t.T(t.N * t.n, t.N) + (t.N - 1) * t.n / t.g, 3 * t.N};
}

// allreduce, reduce + publish: N-1 contributions to the combining peer, then one publish
Cost redis_allreduce_reduce_publish(const Terms& t) {
    const auto [K, acks] = redis_chunks(t.p, t.n);
    const double N = t.N, n = t.n;
    return {2 * t.store_step(N - 1) + t.T((N - 1) * n, 1) + (N - 1) * n / t.g + t.T(n, N - 1),
            (N - 1) * (3 + acks) + 3 + (N - 1) + (N - 1) * 3 * K + 2 * K + (N - 1) * K};
}

// allgather, publish (scan, publish_prefix: the lower peers' data, folded):
// every peer publishes; each reads the others'
double redis_publish_requests(const Terms& t) {
    const auto [K, acks] = redis_chunks(t.p, t.n);
    const double N = t.N;
    return N * (2 + (N - 1)) + N * (2 * K + (N - 1) * (K + acks));
}
Cost redis_allgather_publish(const Terms& t) {
    return {t.a + t.T((t.N - 1) * t.n, t.N), redis_publish_requests(t)};
}
Cost redis_scan_publish_prefix(const Terms& t) {
    return {t.a + t.T((t.N - 1) * t.n, t.N) + (t.N - 1) * t.n / t.g, redis_publish_requests(t)};
}

Prediction redis_time(const Params& p, Operation op, const Shape& s, std::string_view algorithm) {
    const ChannelParams& c = p.redis;
    const Terms t(p, c, s);
    const double a = t.a, N = s.N, n = s.n, g = p.reduce_Bps;
    // bcast, gather, reduce and scatter: one step in which N-1 peers write
    // or read (with the root); the barrier: all N.
    const double step = t.store_step(N - 1);
    const auto [K, acks] = redis_chunks(p, n);
    Prediction r;
    switch (op) {
        case Operation::send:
            r.algorithm = "stream";
            r.seconds = c.message_latency(s.peers) + transfer(c, n, 1, s);
            r.requests = 1 + 2 * K + 2 + K;
            break;
        case Operation::bcast:
            r.algorithm = "publish";
            r.seconds = step + transfer(c, n, N - 1, s);  // one message, N-1 readers at once
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
            r.seconds = step + transfer(c, (N - 1) * n, 1, s) +  // the root reads N-1 messages
                        (op == Operation::reduce ? (N - 1) * n / g : 0.0);
            r.requests = (N - 1) * (2 + 2 * K) + 1 + (N - 1) + 1 + (N - 1) * K;
            break;
        case Operation::scatter:
            r.algorithm = "direct";
            r.seconds = step + transfer(c, (N - 1) * n, 1, s);  // the root writes N-1 messages
            r.requests = N + (N - 1) * 2 * K + (N - 1) * (3 + K);
            break;
        case Operation::allgather:
        case Operation::scan:
        case Operation::allreduce: {  // two algorithms: the one asked for, or the automatic choice
            const std::string_view name = algorithm.empty() ? redis_automatic(p, op, s) : algorithm;
            const Cost cost = formula_cost(ChannelKind::redis, op, name, t);
            r.algorithm = name;
            r.seconds = cost.seconds;
            r.requests = cost.requests;
            break;
        }
    }
    return r;
}

/// What select.cpp picks: the exchange while all N messages fit inline.
std::string_view redis_automatic(const Params& p, Operation op, const Shape& s) {
    const double inline_limit =
        static_cast<double>(std::min(p.limits.redis_inline_bytes, p.limits.redis_chunk_bytes));
    if (s.N * s.n <= inline_limit) return "exchange";
    return op == Operation::allreduce ? "reduce_publish" : op == Operation::scan ? "publish_prefix" : "publish";
}

// The exchange sends each peer's payload inline, as one argument of one
// request (src/collectives/redis/exchange.hpp), after a 40-byte header;
// Redis refuses arguments longer than proto-max-bulk-len, 512 MiB by default.
constexpr double kRedisMaxArgumentBytes = 512.0 * 1024 * 1024;
constexpr double kRedisHeaderBytes = 40;

/// The operations with several algorithms, one formula each (the others
/// have one algorithm, named by their channel's time function).
struct Formula {
    ChannelKind channel;
    Operation op;
    const char* name;
    Cost (*cost)(const Terms&);
};
constexpr Formula kFormulas[] = {
    {ChannelKind::direct, Operation::bcast, "binomial", direct_bcast_binomial},
    {ChannelKind::direct, Operation::bcast, "scatter_allgather", direct_bcast_scatter_allgather},
    {ChannelKind::direct, Operation::allreduce, "recursive_doubling", direct_allreduce_recursive_doubling},
    {ChannelKind::direct, Operation::allreduce, "rabenseifner", direct_allreduce_rabenseifner},
    {ChannelKind::direct, Operation::allreduce, "ring", direct_allreduce_ring},
    {ChannelKind::direct, Operation::scan, "recursive_doubling", direct_scan_recursive_doubling},
    {ChannelKind::direct, Operation::scan, "linear", direct_scan_linear},
    {ChannelKind::redis, Operation::allgather, "exchange", redis_allgather_exchange},
    {ChannelKind::redis, Operation::allgather, "publish", redis_allgather_publish},
    {ChannelKind::redis, Operation::allreduce, "exchange", redis_fold_exchange},
    {ChannelKind::redis, Operation::allreduce, "reduce_publish", redis_allreduce_reduce_publish},
    {ChannelKind::redis, Operation::scan, "exchange", redis_fold_exchange},
    {ChannelKind::redis, Operation::scan, "publish_prefix", redis_scan_publish_prefix},
};

Cost formula_cost(ChannelKind kind, Operation op, std::string_view algorithm, const Terms& t) {
    for (const Formula& f : kFormulas)
        if (f.channel == kind && f.op == op && algorithm == f.name) return f.cost(t);
    // cannot_run() rejects such requests before any formula is evaluated
    throw UsageError(std::string("model: ") + fmi::to_string(kind) + " has no algorithm '" + std::string(algorithm) +
                     "' for " + fmi::to_string(op));
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
        if (c.aggregate(s.peers, n) > 0 && streams > 1) bw = std::min(bw, c.aggregate(s.peers, n));
        return S / bw;
    };
    auto puts = [&](double S) { return S > T ? ceil_div(S, T) + 2 : 1.0; };  // multipart: create, parts, complete
    auto gets = [&](double L) { return std::max(1.0, ceil_div(L, T)); };
    // The root collects N-1 contributions: a LIST (N > 2), then GETs par at a time.
    auto collect = [&](double bytes_each) {
        if (N <= 2) return 0.0;
        return rtt + (ceil_div(N - 1, par) - 1) * rtt + transfer(c, (N - 1) * bytes_each, std::min(par, N - 1), s) -
               transfer(c, bytes_each, 1, s);
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
            r.seconds = a + object(n) + std::max(object(n), transfer(c, n, N - 1, s));
            put = puts(n);
            get = (N - 1) * (gets(n) + 1);
            break;
        case Operation::scatter:
            r.algorithm = "one_object";
            r.seconds = a + object(N * n) + std::max(object(n), transfer(c, n, N - 1, s));
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
            r.algorithm = "collect_publish";
            r.seconds = 2 * a + 2 * object(n) + collect(n) + (op == Operation::allgather ? 0.0 : (N - 1) * n / g) +
                        object(result) + std::max(object(read), transfer(c, read, N - 1, s));
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

/// The prediction of channel `kind` (its time function).
Prediction channel_time(const Params& p, ChannelKind kind, Operation op, const Shape& s, std::string_view algorithm) {
    switch (kind) {
        case ChannelKind::direct: return direct_time(p, op, s, algorithm);
        case ChannelKind::redis: return redis_time(p, op, s, algorithm);
        case ChannelKind::s3: break;
    }
    return s3_time(p, op, s);  // one algorithm per operation
}

std::string joined(const std::vector<std::string>& names, const char* separator) {
    std::string out;
    for (const std::string& name : names) out += (out.empty() ? "" : separator) + name;
    return out;
}

}  // namespace

std::vector<std::string> algorithms(ChannelKind kind, Operation op) {
    std::vector<std::string> names;
    for (const Formula& f : kFormulas)
        if (f.channel == kind && f.op == op) names.emplace_back(f.name);
    if (names.empty()) {
        // One algorithm: the name the channel's formula reports (it does not
        // depend on the shape).
        const Params unit{};
        names.push_back(channel_time(unit, kind, op, Shape{2, 0, 2}, {}).algorithm);
    }
    return names;
}

std::vector<std::string> algorithms(Operation op) {
    std::vector<std::string> names;
    for (ChannelKind kind : {ChannelKind::direct, ChannelKind::redis, ChannelKind::s3})
        for (std::string& name : algorithms(kind, op))
            if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
    return names;
}

std::string cannot_run(ChannelKind kind, const Request& request) {
    if (request.algorithm.empty()) return {};
    const std::vector<std::string> names = algorithms(kind, request.op);
    if (std::find(names.begin(), names.end(), request.algorithm) == names.end())
        return fmi::to_string(kind) + std::string(" runs ") + joined(names, " or ") + " for " +
               fmi::to_string(request.op) + ", not " + request.algorithm;
    const double n = static_cast<double>(request.bytes);
    if (kind == ChannelKind::redis && request.algorithm == "exchange" && request.peers > 1 &&
        n + kRedisHeaderBytes > kRedisMaxArgumentBytes)
        return "redis's exchange sends each peer's " + std::to_string(request.bytes) +
               " B inline in one request argument, over Redis's default limit (proto-max-bulk-len) of " +
               std::to_string(static_cast<long long>(kRedisMaxArgumentBytes)) + " B with its " +
               std::to_string(static_cast<int>(kRedisHeaderBytes)) + "-byte header";
    return {};
}

Prediction predict(const Params& params, ChannelKind kind, const Request& request) {
    if (request.peers < 1)
        throw UsageError("model: peer count " + std::to_string(request.peers) + " must be at least 1");
    Shape s{static_cast<double>(request.peers), static_cast<double>(request.bytes), request.peers};
    if (std::string why = cannot_run(kind, request); !why.empty())
        throw UsageError(std::string("model: ") + fmi::to_string(request.op) + " of " +
                         std::to_string(request.bytes) + " B at " + std::to_string(request.peers) + " peers: " + why);
    Prediction r;
    const bool alone = request.peers == 1 && request.op != Operation::send;
    if (alone) {
        r.algorithm = "local";  // one peer: a local copy on every channel
    } else {
        r = channel_time(params, kind, request.op, s, request.algorithm);
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
