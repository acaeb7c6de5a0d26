// The communicator: validates arguments on this peer, numbers operations,
// picks a channel per operation, runs it there and keeps statistics. On any
// failure that the peers share (timeout, lost peer, mismatch) it aborts every
// channel so partners fail fast instead of waiting out their deadlines.
#include <fmi/communicator.hpp>

#include "config/environment.hpp"
#include "core/backend.hpp"
#include "core/factories.hpp"
#include "core/logger.hpp"
#include "core/selector.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace fmi {

using detail::Backend;
using detail::Deadline;
using detail::OpContext;
using detail::OpKind;

namespace {

constexpr std::size_t kMaxNameLength = 200;

int parse_int_env(const EnvLookup& env, const char* name, bool required, int fallback) {
    auto value = env(name);
    if (!value) {
        if (required) throw ConfigError(name, "not set (fmirun sets it; or create the Communicator explicitly)");
        return fallback;
    }
    try {
        std::size_t used = 0;
        int v = std::stoi(*value, &used);
        if (used != value->size()) throw std::invalid_argument("trailing characters");
        return v;
    } catch (const std::exception&) {
        throw ConfigError(name, "'" + *value + "' is not an integer");
    }
}

Config config_from_file(const std::filesystem::path& path) {
    return path.empty() ? Config{} : load_config(path);
}

}  // namespace

struct Communicator::Impl {
    int rank;
    int size;
    std::string name;
    Config config;
    detail::Logger log;
    Hint hint;
    std::map<ChannelKind, std::unique_ptr<Backend>> backends;
    std::optional<detail::Selector> selector;
    std::uint64_t collective_seq = 0;
    std::vector<std::uint64_t> send_seq, recv_seq;  // per partner
    std::map<std::pair<std::string, std::string>, OperationStats> stats;
    std::string broken;  // why the communicator is unusable (empty: healthy)
    bool finalized = false;

    Impl(int peer_id, int num_peers, std::string comm_name, Config cfg)
        : rank(peer_id), size(num_peers), name(std::move(comm_name)), config(std::move(cfg)) {
        if (size < 1) throw UsageError("communicator: peer count " + std::to_string(size) + " must be at least 1");
        if (rank < 0 || rank >= size)
            throw UsageError("communicator: peer id " + std::to_string(rank) + " is outside [0, " +
                             std::to_string(size) + ")");
        if (name.empty() || name.size() > kMaxNameLength)
            throw UsageError("communicator: name must have 1 to " + std::to_string(kMaxNameLength) +
                             " characters (got " + std::to_string(name.size()) + ")");
        if (config.timeout.count() <= 0) config.timeout = std::chrono::milliseconds(60'000);
        log = detail::Logger(detail::parse_log_level(config.log_level, "log_level"),
                             name + ":" + std::to_string(rank));
        hint = config.hint;
        send_seq.assign(size, 0);
        recv_seq.assign(size, 0);
        connect();
    }

    void connect() {
        detail::PeerIdentity who{rank, size, name};
        std::vector<ChannelKind> available;
        if (config.direct.enabled) {
#ifdef FMI_HAVE_DIRECT
            backends[ChannelKind::direct] =
                detail::make_p2p_backend(detail::make_direct_channel(who, config.direct, log), log);
            available.push_back(ChannelKind::direct);
#else
            throw ConfigError("direct.enabled", "this build of fmi has no direct channel");
#endif
        }
        if (config.redis.enabled) {
#ifdef FMI_HAVE_REDIS
            backends[ChannelKind::redis] = detail::make_redis_backend(who, config.redis, log);
            available.push_back(ChannelKind::redis);
#else
            throw ConfigError("redis.enabled", "this build of fmi has no Redis channel");
#endif
        }
        if (config.s3.enabled) {
#ifdef FMI_HAVE_S3
            backends[ChannelKind::s3] = detail::make_s3_backend(who, config.s3, log);
            available.push_back(ChannelKind::s3);
#else
            throw ConfigError("s3.enabled", "this build of fmi has no S3 channel");
#endif
        }
        selector.emplace(std::move(available), config, size);
    }

    void check_usable(const char* op) const {
        if (finalized) throw UsageError(std::string(op) + ": the communicator was finalized");
        if (!broken.empty())
            throw IoError(std::string(op) + ": the communicator is unusable after an earlier error: " + broken);
    }

    void check_peer(const char* op, const char* role, int peer, bool allow_self) const {
        if (peer < 0 || peer >= size)
            throw UsageError(std::string(op) + ": " + role + " " + std::to_string(peer) + " is outside [0, " +
                             std::to_string(size) + ")");
        if (!allow_self && peer == rank)
            throw UsageError(std::string(op) + ": " + role + " " + std::to_string(peer) + " is this peer itself");
    }

    static void check_elements(const char* op, std::size_t bytes, const ReduceFn& fn) {
        if (fn.element_size == 0 || bytes % fn.element_size != 0)
            throw UsageError(std::string(op) + ": " + std::to_string(bytes) + " bytes is not a whole number of " +
                             std::to_string(fn.element_size) + "-byte elements");
    }

    static void check_size(const char* op, const char* what, std::size_t actual, std::size_t expected) {
        if (actual != expected)
            throw UsageError(std::string(op) + ": " + what + " has " + std::to_string(actual) +
                             " bytes, expected " + std::to_string(expected));
    }

    /// Runs one operation on the chosen channel, with statistics and the
    /// abort-everything policy on shared failures.
    template <class Body>
    void run(OpKind op, std::uint64_t seq, std::size_t bytes, Body&& body) {
        const Operation operation = detail::to_operation(op);
        const model::Explanation& why = selector->explain(operation, bytes, hint);
        if (log.enabled(detail::LogLevel::debug)) log.debug(why.to_string());
        const ChannelKind kind = why.chosen;
        Backend& backend = *backends.at(kind);
        // A pinned algorithm travels with the operation (the explanation
        // outlives it: the selector keeps it until the next choice).
        OpContext ctx{op, seq, Deadline(config.timeout), why.request.algorithm};
        const std::uint64_t requests_before = backend.requests_made();
        auto start = std::chrono::steady_clock::now();
        try {
            body(backend, ctx);
        } catch (const UsageError&) {
            throw;  // local misuse: nothing was sent, partners are unaffected
        } catch (const std::exception& e) {
            broken = e.what();
            log.error(std::string(detail::to_string(op)) + " failed on channel " + std::string(backend.name()) +
                      ": " + e.what());
            abort_all();
            throw;
        }
        auto& s = stats[{std::string(backend.name()), detail::to_string(op)}];
        s.channel = backend.name();
        s.operation = detail::to_string(op);
        s.count += 1;
        s.bytes += bytes;
        s.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        s.requests += backend.requests_made() - requests_before;
        for (const model::Candidate& c : why.candidates) {
            if (c.channel != kind) continue;
            s.predicted_seconds += c.prediction.seconds;
            s.predicted_requests += c.prediction.requests;
            s.predicted_dollars += c.prediction.dollars();
        }
    }

    void abort_all() noexcept {
        for (auto& [kind, backend] : backends) backend->abort();
    }

    void finalize() {
        if (finalized) return;
        finalized = true;
        std::string first_error;
        for (auto& [kind, backend] : backends) {
            try {
                if (broken.empty()) backend->finalize();
                else backend->abort();
            } catch (const std::exception& e) {
                if (first_error.empty()) first_error = e.what();
            }
        }
        backends.clear();
        if (!first_error.empty()) throw IoError("finalize: " + first_error);
    }
};

Communicator Communicator::from_environment() {
    EnvLookup env = process_environment();
    int rank = parse_int_env(env, "FMI_PEER_ID", true, 0);
    int size = parse_int_env(env, "FMI_NUM_PEERS", true, 1);
    std::string name = env("FMI_COMM").value_or("fmi");
    std::filesystem::path path = env("FMI_CONFIG").value_or("");
    return Communicator(rank, size, std::move(name), path);
}

Communicator::Communicator(int peer_id, int num_peers, std::string name, Config config) {
    detail::apply_process_environment(config);  // also rejects misspelled FMI_* variables
    impl_ = std::make_unique<Impl>(peer_id, num_peers, std::move(name), std::move(config));
}

Communicator::Communicator(int peer_id, int num_peers, std::string name, const std::filesystem::path& config_file)
    : Communicator(peer_id, num_peers, std::move(name), config_from_file(config_file)) {}

Communicator::Communicator(Communicator&&) noexcept = default;
Communicator& Communicator::operator=(Communicator&&) noexcept = default;

Communicator::~Communicator() {
    if (!impl_) return;
    try {
        impl_->finalize();
    } catch (const std::exception& e) {
        impl_->log.warn(std::string("finalize from the destructor failed: ") + e.what());
    }
}

int Communicator::peer_id() const noexcept { return impl_->rank; }
int Communicator::num_peers() const noexcept { return impl_->size; }
const std::string& Communicator::name() const noexcept { return impl_->name; }
const Config& Communicator::config() const noexcept { return impl_->config; }
void Communicator::hint(Hint h) { impl_->hint = h; }
Hint Communicator::hint() const noexcept { return impl_->hint; }
void Communicator::budget(const model::Budget& b) { impl_->selector->budget(b); }
model::Budget Communicator::budget() const { return impl_->selector->budget(); }
void Communicator::pin(Operation op, std::optional<ChannelKind> channel) { impl_->selector->pin(op, channel); }
void Communicator::pin(std::optional<ChannelKind> channel) { impl_->selector->pin_all(channel); }
void Communicator::pin_algorithm(Operation op, std::optional<std::string> algorithm) {
    impl_->selector->pin_algorithm(op, std::move(algorithm));
}
model::Explanation Communicator::explain(Operation op, std::size_t bytes) const {
    return impl_->selector->explain(op, bytes, impl_->hint);
}

void Communicator::send_bytes(ConstBytes data, int dest) {
    impl_->check_usable("send");
    impl_->check_peer("send", "destination", dest, false);
    std::uint64_t seq = impl_->send_seq[dest]++;
    impl_->run(OpKind::send, seq, data.size(),
               [&](Backend& b, const OpContext& ctx) { b.send(data, dest, ctx); });
}

void Communicator::recv_bytes(MutableBytes data, int src) {
    impl_->check_usable("recv");
    impl_->check_peer("recv", "source", src, false);
    std::uint64_t seq = impl_->recv_seq[src]++;
    impl_->run(OpKind::send, seq, data.size(),
               [&](Backend& b, const OpContext& ctx) { b.recv(data, src, ctx); });
}

void Communicator::bcast_bytes(MutableBytes data, int root) {
    impl_->check_usable("bcast");
    impl_->check_peer("bcast", "root", root, true);
    impl_->run(OpKind::bcast, impl_->collective_seq++, data.size(),
               [&](Backend& b, const OpContext& ctx) { b.bcast(data, root, ctx); });
}

void Communicator::barrier() {
    impl_->check_usable("barrier");
    impl_->run(OpKind::barrier, impl_->collective_seq++, 0,
               [&](Backend& b, const OpContext& ctx) { b.barrier(ctx); });
}

void Communicator::gather_bytes(ConstBytes in, MutableBytes out, int root) {
    impl_->check_usable("gather");
    impl_->check_peer("gather", "root", root, true);
    if (impl_->rank == root) impl_->check_size("gather", "the root's output", out.size(), in.size() * impl_->size);
    else out = {};
    impl_->run(OpKind::gather, impl_->collective_seq++, in.size(),
               [&](Backend& b, const OpContext& ctx) { b.gather(in, out, root, ctx); });
}

void Communicator::scatter_bytes(ConstBytes in, MutableBytes out, int root) {
    impl_->check_usable("scatter");
    impl_->check_peer("scatter", "root", root, true);
    if (impl_->rank == root) impl_->check_size("scatter", "the root's input", in.size(), out.size() * impl_->size);
    else in = {};
    impl_->run(OpKind::scatter, impl_->collective_seq++, out.size(),
               [&](Backend& b, const OpContext& ctx) { b.scatter(in, out, root, ctx); });
}

void Communicator::allgather_bytes(ConstBytes in, MutableBytes out) {
    impl_->check_usable("allgather");
    impl_->check_size("allgather", "the output", out.size(), in.size() * impl_->size);
    impl_->run(OpKind::allgather, impl_->collective_seq++, in.size(),
               [&](Backend& b, const OpContext& ctx) { b.allgather(in, out, ctx); });
}

void Communicator::reduce_bytes(ConstBytes in, MutableBytes out, const ReduceFn& fn, int root) {
    impl_->check_usable("reduce");
    impl_->check_peer("reduce", "root", root, true);
    Impl::check_elements("reduce", in.size(), fn);
    if (impl_->rank == root) impl_->check_size("reduce", "the root's output", out.size(), in.size());
    else out = {};
    impl_->run(OpKind::reduce, impl_->collective_seq++, in.size(),
               [&](Backend& b, const OpContext& ctx) { b.reduce(in, out, root, fn, ctx); });
}

void Communicator::allreduce_bytes(ConstBytes in, MutableBytes out, const ReduceFn& fn) {
    impl_->check_usable("allreduce");
    Impl::check_elements("allreduce", in.size(), fn);
    impl_->check_size("allreduce", "the output", out.size(), in.size());
    impl_->run(OpKind::allreduce, impl_->collective_seq++, in.size(),
               [&](Backend& b, const OpContext& ctx) { b.allreduce(in, out, fn, ctx); });
}

void Communicator::scan_bytes(ConstBytes in, MutableBytes out, const ReduceFn& fn) {
    impl_->check_usable("scan");
    Impl::check_elements("scan", in.size(), fn);
    impl_->check_size("scan", "the output", out.size(), in.size());
    impl_->run(OpKind::scan, impl_->collective_seq++, in.size(),
               [&](Backend& b, const OpContext& ctx) { b.scan(in, out, fn, ctx); });
}

std::vector<OperationStats> Communicator::statistics() const {
    std::vector<OperationStats> out;
    for (const auto& [key, s] : impl_->stats) out.push_back(s);
    return out;
}

std::string Communicator::summary() const {
    // requests: this peer's, measured; predicted requests: all peers'.
    std::string out =
        "channel   operation     count   measured s         bytes   predicted s   requests  predicted requests   predicted $\n";
    char line[240];
    for (const auto& [key, s] : impl_->stats) {
        std::snprintf(line, sizeof line, "%-9s %-10s %8llu %12.6f %13llu %13.6f %10llu %19.0f %13.3g\n",
                      s.channel.c_str(), s.operation.c_str(), static_cast<unsigned long long>(s.count), s.seconds,
                      static_cast<unsigned long long>(s.bytes), s.predicted_seconds,
                      static_cast<unsigned long long>(s.requests), s.predicted_requests, s.predicted_dollars);
        out += line;
    }
    return out;
}

void Communicator::finalize() {
    if (impl_) impl_->finalize();
}

}  // namespace fmi
