#include "channels/s3/s3_store.hpp"

#include "channels/s3/parallel.hpp"
#include "channels/s3/poll_schedule.hpp"

#include <fmi/errors.hpp>

#include <algorithm>
#include <bit>
#include <map>
#include <sstream>

namespace fmi::detail::s3 {
namespace {

/// Whether a request's timeout is the operation's own: its deadline has
/// passed, or the client cut the request at the deadline (which it reports
/// with the operation's allowed time). Otherwise one request outlived
/// request_timeout and the wait may go on.
bool ends_operation(const TimeoutError& e, const Deadline& deadline) {
    return deadline.expired() || e.allowed() == deadline.allowed();
}

constexpr std::size_t kDeleteBatch = 1000;                // keys per DeleteObjects
constexpr std::uint64_t kDeleteBatchBytes = 64u << 20;    // or sooner, for large payloads
constexpr std::chrono::milliseconds kFirstDiagnosis{1'000};

std::string describe_op(const OpContext& ctx) {
    return std::string("S3 ") + to_string(ctx.op) + " #" + std::to_string(ctx.seq);
}

// Error markers: "key=value" lines; the last field, message, runs to the end.
std::string encode_marker(const std::exception& error, const OpContext& ctx) {
    std::ostringstream out;
    if (auto* size = dynamic_cast<const SizeMismatchError*>(&error)) {
        out << "kind=size\npeer=" << size->peer() << "\nexpected=" << size->expected_bytes()
            << "\nactual=" << size->actual_bytes() << "\n";
    } else if (dynamic_cast<const MismatchError*>(&error)) {
        out << "kind=mismatch\n";
    } else {
        out << "kind=failed\n";
    }
    out << "op=" << to_string(ctx.op) << "\nmessage=" << error.what();
    return out.str();
}

std::map<std::string, std::string> decode_marker(const std::string& text) {
    std::map<std::string, std::string> fields;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eq = text.find('=', pos);
        if (eq == std::string::npos) break;
        std::string name = text.substr(pos, eq - pos);
        std::size_t end = name == "message" ? text.size() : text.find('\n', eq);
        if (end == std::string::npos) end = text.size();
        fields[name] = text.substr(eq + 1, end - eq - 1);
        pos = end + 1;
    }
    return fields;
}

}  // namespace

// Back-off between polls of one wait, and the schedule of its diagnoses.
//
// A poll that finds nothing is a request paid for nothing, so a wait first
// sleeps half of what recent waits of the same kind took (at most
// poll_max): in iterative jobs the same collective waits about as long
// every time. Then it polls at poll_initial, doubling up to poll_max, but
// never sleeping more than a quarter of what the wait has lasted so far,
// nor past the deadline.
//
// Why half, and why the estimate follows the shortest recent waits: a
// peer's wait in a collective depends on its place, which changes from one
// operation to the next. A peer that put its contribution first waits for
// all the others; the same peer, last the next time, waits a little. Paused
// by what the long waits took, it found the result late, was last again to
// start the next operation, and made everyone wait: with 3/4 of an average
// the 8-peer 1 MiB allreduce, ~130 ms of work, took 230-320 ms in most jobs;
// with half of an estimate that drops at once to a shorter wait (and rises
// by a quarter of a longer one's excess) it took 99-169 ms in ten of
// eleven jobs (292 ms in one), for about a quarter more polls that found
// nothing (measured with fmi-calibrate --verify on a local RGW,
// docs/channels/s3.md).
//
// The quarter bounds how late a wait ends after its object arrived: at most
// a quarter of the wait (plus a request); plain doubling after the pause
// (5, 10, 20, 40, 80 ms) could double it. After a pause it is also fewer
// polls than restarting at poll_initial.
class S3Store::Poller {
public:
    Poller(S3Store& store, const Deadline& deadline, double* learned_ms = nullptr)
        : store_(store), deadline_(deadline), interval_(store.options_.poll_initial), learned_ms_(learned_ms),
          started_(std::chrono::steady_clock::now()) {}

    /// Sleeps before the first attempt, as learned from earlier waits.
    void first_pause() {
        if (!learned_ms_) return;
        auto pause = std::min(s3::first_pause(*learned_ms_, store_.options_.poll_max), deadline_.remaining());
        if (pause > std::chrono::milliseconds(0)) {
            wait(pause);
            interval_ = s3::longest_sleep(waited(), store_.options_.poll_initial, store_.options_.poll_max);
        }
    }
    /// The awaited object(s) arrived: remember how long that took. A shorter
    /// wait replaces the estimate (found at the first attempt after the
    /// pause, the wait took the pause, so the estimate halves, however early
    /// the object came); a longer one moves it a quarter of the way, so one
    /// long wait (a partner busy with a 16 MiB message) barely slows the next
    /// short ones.
    void found() {
        if (!learned_ms_) return;
        double took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
        *learned_ms_ = s3::updated_estimate(*learned_ms_, took);
    }
    /// Sleeps the next interval (never past the deadline). False when the
    /// deadline has passed: the caller has made its last attempt.
    bool sleep() {
        auto left = deadline_.remaining();
        if (left <= std::chrono::milliseconds(0)) return false;
        wait(std::min(interval_, left));
        interval_ = s3::next_sleep(interval_, waited(), store_.options_.poll_initial, store_.options_.poll_max);
        return !deadline_.expired();
    }
    /// Something arrived: partners are close, poll quickly again.
    void reset() { interval_ = store_.options_.poll_initial; }
    /// True at 1 s, 2 s, 4 s, ... of waiting.
    bool diagnosis_due() {
        if (deadline_.elapsed() < next_diagnosis_) return false;
        next_diagnosis_ *= 2;
        return true;
    }

private:
    std::chrono::milliseconds waited() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    }
    // Sleeps, waking early when this peer aborts.
    void wait(std::chrono::milliseconds how_long) {
        {
            std::unique_lock lock(store_.wake_mutex_);
            store_.wake_.wait_for(lock, how_long, [&] { return store_.aborted_.load(); });
        }
        if (store_.aborted_.load()) throw IoError("S3 channel: this peer aborted while waiting");
    }

    S3Store& store_;
    const Deadline& deadline_;
    std::chrono::milliseconds interval_;
    double* learned_ms_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::milliseconds next_diagnosis_ = kFirstDiagnosis;
};

S3Store::S3Store(S3Client& client, KeySpace keys, int rank, int size, const S3Options& options,
                 const Logger& log)
    : client_(client), keys_(std::move(keys)), rank_(rank), size_(size), options_(options), log_(log) {
    if (options_.poll_initial <= std::chrono::milliseconds(0))
        throw ConfigError("s3.poll_initial", "must be positive");
}

void S3Store::put(const std::string& key, ConstBytes data, const OpContext& ctx) {
    client_.put_object(key, data, ctx.deadline);
}

void S3Store::put_error_marker(const std::string& key, const std::exception& error, const OpContext& ctx) noexcept {
    try {
        const std::string text = encode_marker(error, ctx);
        Deadline brief(std::min(options_.request_timeout, std::chrono::milliseconds(5'000)));
        client_.put_object(key, std::as_bytes(std::span(text.data(), text.size())), brief,
                           {{kErrorMarkerHeader, "1"}});
    } catch (const std::exception& e) {
        log_.warn("could not publish the error report at '" + key + "': " + e.what());
    }
}

void S3Store::throw_remote_error(const std::string& marker, const std::string& key, int writer) {
    auto f = decode_marker(marker);
    const std::string op = f.count("op") ? f["op"] : "operation";
    const std::string message = f.count("message") ? f["message"] : marker;
    if (f["kind"] == "size") {
        try {
            throw SizeMismatchError(op, std::stoi(f["peer"]), std::stoull(f["expected"]), std::stoull(f["actual"]));
        } catch (const std::logic_error&) {  // malformed numbers: fall through to the generic report
        }
    }
    if (f["kind"] == "mismatch") throw MismatchError(message + " (reported by peer " + std::to_string(writer) + ")");
    throw PeerLostError("S3 " + op + ": peer " + std::to_string(writer) + " failed and reported at '" + key +
                            "': " + message,
                        writer);
}

std::optional<PeerLostError> S3Store::diagnose(const OpContext& ctx, bool collective,
                                               std::span<const int> awaited) {
    // Its own short deadline: the operation's may have passed already.
    Deadline brief(std::min(options_.request_timeout, std::chrono::milliseconds(10'000)));
    auto list = [&](const std::string& prefix) {
        std::vector<ObjectEntry> all;
        std::string token;
        do {
            client_.counters().add_list_diagnostic();
            ListPage page = client_.list_page(prefix, token, brief);
            std::move(page.objects.begin(), page.objects.end(), std::back_inserter(all));
            token = std::move(page.next_token);
        } while (!token.empty());
        return all;
    };
    if (collective) {
        const std::string prefix = keys_.collective_prefix(ctx.seq);
        for (const ObjectEntry& e : list(prefix)) {
            auto k = KeySpace::parse_collective(std::string_view(e.key).substr(prefix.size()));
            if (k && k->op != to_string(ctx.op))
                throw MismatchError(describe_op(ctx) + ": peer " + std::to_string(k->peer) + " called " + k->op +
                                    " at the same point of the sequence (object '" + e.key + "')");
        }
    }
    const std::string end = keys_.end_prefix();
    for (const ObjectEntry& e : list(end)) {
        auto k = KeySpace::parse_end(std::string_view(e.key).substr(end.size()));
        if (!k) continue;
        if (k->aborted)
            return PeerLostError(describe_op(ctx) + ": peer " + std::to_string(k->peer) + " aborted", k->peer);
        if (std::find(awaited.begin(), awaited.end(), k->peer) != awaited.end())
            return PeerLostError(describe_op(ctx) + ": peer " + std::to_string(k->peer) +
                                     " finished the job while peer " + std::to_string(rank_) + " waits for it",
                                 k->peer);
    }
    return std::nullopt;
}

double* S3Store::learned_wait(OpKind op, bool collection, std::uint64_t bytes) noexcept {
    // Classes of 16x: < 8 B, < 128 B, < 2 KiB, ..., < 128 MiB, then larger.
    const std::size_t size_class = std::min<std::size_t>(std::bit_width(bytes) / 4, kSizeClasses - 1);
    return &learned_wait_ms_[static_cast<std::size_t>(op)][collection ? 1 : 0][size_class];
}

void S3Store::read_when_present(const std::string& key, int writer, std::uint64_t object_size,
                                std::uint64_t offset, MutableBytes into, const OpContext& ctx, bool collective) {
    Poller poll(*this, ctx.deadline, learned_wait(ctx.op, false, object_size));
    const int awaited[] = {writer};
    std::optional<PeerLostError> lost;
    auto give_up = [&] {
        if ((lost = diagnose(ctx, collective, awaited))) throw *lost;
        ctx.deadline.throw_timeout(describe_op(ctx) + ": waiting for object '" + key + "' from peer " +
                                   std::to_string(writer));
    };
    poll.first_pause();
    for (;;) {
        ReadResult r;
        try {
            r = client_.get_object(key, {object_size, offset, into, true}, ctx.deadline);
        } catch (const TimeoutError& e) {
            if (!ends_operation(e, ctx.deadline)) throw;  // one request outlived request_timeout
            give_up();
        }
        if (r.found) {
            poll.found();
            if (r.marker) throw_remote_error(*r.marker, key, writer);
            if (r.actual_size) throw SizeMismatchError(to_string(ctx.op), writer, object_size, *r.actual_size);
            return;
        }
        if (lost) throw *lost;  // looked once more after the diagnosis: still missing
        if (poll.diagnosis_due() && (lost = diagnose(ctx, collective, awaited))) continue;
        if (!poll.sleep()) give_up();
    }
}

void S3Store::collect(std::span<const int> peers, std::uint64_t bytes, const OpContext& ctx, const Destination& into,
                      const std::function<void(std::span<const Arrival>)>& on_arrivals) {
    if (peers.size() == 1) {  // one object: poll it by GET, which reads it too
        const int p = peers.front();
        Arrival a{p, keys_.contribution(ctx.seq, ctx.op, p), bytes, true};
        MutableBytes to = into(p);
        if (!to.empty() && to.size() != bytes)
            throw UsageError("S3 collect: a destination of " + std::to_string(to.size()) + " bytes for " +
                             std::to_string(bytes));
        if (to.size() == bytes) {
            read_when_present(a.key, p, bytes, 0, to, ctx, true);
        } else {  // only its existence matters (a barrier's empty check-in)
            read_when_present(a.key, p, bytes, 0, {}, ctx, true);
        }
        on_arrivals(std::span(&a, 1));
        return;
    }
    const std::string prefix = keys_.collective_prefix(ctx.seq);
    const std::string op = to_string(ctx.op);
    std::vector<char> waiting(static_cast<std::size_t>(size_), 0);
    std::size_t remaining = 0;
    for (int p : peers) {
        if (!waiting[p]) ++remaining;
        waiting[p] = 1;
    }
    Poller poll(*this, ctx.deadline, learned_wait(ctx.op, true, bytes));
    std::optional<PeerLostError> lost;
    auto missing = [&] {
        std::vector<int> out;
        for (int p : peers)
            if (waiting[p]) out.push_back(p);
        return out;
    };
    auto give_up = [&] {
        if ((lost = diagnose(ctx, false, missing()))) throw *lost;
        std::string names;
        for (int p : missing()) names += (names.empty() ? "'" : ", '") + keys_.contribution(ctx.seq, ctx.op, p) + "'";
        ctx.deadline.throw_timeout(describe_op(ctx) + ": waiting for " + std::to_string(missing().size()) +
                                   " object(s) " + names);
    };
    poll.first_pause();
    while (remaining > 0) {
        std::vector<Arrival> arrivals;
        std::string token;
        do {  // one round: normally one page (the prefix holds about n objects)
            ListPage page;
            try {
                page = client_.list_page(prefix, token, ctx.deadline);
            } catch (const TimeoutError& e) {
                if (!ends_operation(e, ctx.deadline)) throw;
                give_up();
            }
            for (ObjectEntry& e : page.objects) {
                auto k = KeySpace::parse_collective(std::string_view(e.key).substr(prefix.size()));
                if (!k) continue;
                if (k->op != op)
                    throw MismatchError(describe_op(ctx) + ": peer " + std::to_string(k->peer) + " called " +
                                        k->op + " at the same point of the sequence (object '" + e.key + "')");
                if (!k->contribution || k->peer >= size_ || !waiting[k->peer]) continue;
                if (e.size != bytes) throw SizeMismatchError(op, k->peer, bytes, e.size);
                waiting[k->peer] = 0;
                --remaining;
                arrivals.push_back({k->peer, std::move(e.key), e.size});
            }
            token = std::move(page.next_token);
        } while (!token.empty());
        if (!arrivals.empty()) {
            on_arrivals(arrivals);
            poll.reset();
        }
        if (remaining == 0) {
            poll.found();
            break;
        }
        client_.counters().add_list_incomplete();
        if (lost) throw *lost;
        if (poll.diagnosis_due() && (lost = diagnose(ctx, false, missing()))) continue;
        if (!poll.sleep()) give_up();
    }
}

void S3Store::read_arrivals(std::span<const Arrival> arrivals, const Destination& into, const OpContext& ctx) {
    std::vector<PresentRead> reads;
    for (const Arrival& a : arrivals)
        if (!a.read) reads.push_back({a.key, a.peer, a.size, 0, into(a.peer)});
    read_present(reads, ctx);
}

void S3Store::read_present(std::span<const PresentRead> reads, const OpContext& ctx) {
    // Small objects several at a time; a large one is parallel inside.
    bool large = false;
    for (const PresentRead& r : reads) large = large || r.into.size() > client_.part_bytes(r.into.size());
    parallel_for(reads.size(), large ? 1 : options_.parallel_transfers, [&](std::size_t i) {
        const PresentRead& r = reads[i];
        if (r.into.empty() && r.object_size == 0) return;  // the listing already showed it exists, empty
        ReadResult res = client_.get_object(r.key, {r.object_size, r.offset, r.into, false}, ctx.deadline);
        if (res.marker) throw_remote_error(*res.marker, r.key, r.peer);
        if (res.actual_size) throw SizeMismatchError(to_string(ctx.op), r.peer, r.object_size, *res.actual_size);
    });
}

void S3Store::consumed(std::string key, std::uint64_t bytes) {
    pending_deletes_.push_back({std::move(key), bytes});
    pending_delete_bytes_ += bytes;
    flush_deletes(false);
}

void S3Store::published(std::uint64_t seq, std::string key, std::uint64_t bytes) {
    published_.push_back({seq, std::move(key), bytes});
}

void S3Store::everyone_entered(std::uint64_t seq) {
    while (!published_.empty() && published_.front().seq < seq) {
        pending_deletes_.push_back({std::move(published_.front().key), published_.front().bytes});
        pending_delete_bytes_ += published_.front().bytes;
        published_.pop_front();
    }
    flush_deletes(false);
}

void S3Store::flush_deletes(bool all) {
    while (!pending_deletes_.empty() &&
           (all || pending_deletes_.size() >= kDeleteBatch || pending_delete_bytes_ >= kDeleteBatchBytes)) {
        const std::size_t n = std::min(kDeleteBatch, pending_deletes_.size());
        std::vector<std::string> batch;
        for (std::size_t i = 0; i < n; ++i) {
            batch.push_back(std::move(pending_deletes_[i].first));
            pending_delete_bytes_ -= pending_deletes_[i].second;
        }
        pending_deletes_.erase(pending_deletes_.begin(), pending_deletes_.begin() + static_cast<long>(n));
        try {
            client_.delete_objects(batch, Deadline(options_.request_timeout));
        } catch (const std::exception& e) {
            // Housekeeping only: peer 0's final sweep (or the lifecycle rule) removes them.
            log_.warn(std::string("S3 DeleteObjects of ") + std::to_string(n) + " consumed objects failed: " + e.what());
        }
    }
}

bool S3Store::everyone_ended(const Deadline& deadline) {
    const std::string end = keys_.end_prefix();
    std::vector<char> ended(static_cast<std::size_t>(size_), 0);
    ended[static_cast<std::size_t>(rank_)] = 1;
    for (const ObjectEntry& e : client_.list_all(end, deadline))
        if (auto k = KeySpace::parse_end(std::string_view(e.key).substr(end.size())); k && k->peer < size_)
            ended[static_cast<std::size_t>(k->peer)] = 1;
    missing_ends_.clear();
    for (int p = 0; p < size_; ++p)
        if (!ended[static_cast<std::size_t>(p)]) missing_ends_.push_back(p);
    return missing_ends_.empty();
}

void S3Store::sweep(const Deadline& deadline) {
    std::vector<std::string> keys;
    for (ObjectEntry& e : client_.list_all(keys_.root(), deadline)) keys.push_back(std::move(e.key));
    client_.delete_objects(keys, deadline);
    pending_deletes_.clear();
    pending_delete_bytes_ = 0;
    published_.clear();
}

void S3Store::finalize() {
    if (finalized_ || aborted_.load()) return;
    finalized_ = true;
    Deadline deadline(options_.finalize_timeout);
    if (rank_ != 0) {
        // Peer 0 deletes everything once all peers said so: nobody deletes an
        // object a slower peer has yet to read.
        client_.put_object(keys_.finished(rank_), {}, deadline);
        return;
    }
    auto give_up = [&] {
        std::string missing;
        for (int p : missing_ends_) missing += (missing.empty() ? "" : ", ") + std::to_string(p);
        throw TimeoutError("S3 finalize of '" + keys_.root() + "': peer(s) " + missing +
                               " did not finish, so the communicator's objects stay for the bucket's "
                               "lifecycle rule or fmi-cleanup; waiting",
                           deadline.elapsed(), deadline.allowed());
    };
    Poller poll(*this, deadline);
    while (size_ > 1) {
        try {
            if (everyone_ended(deadline)) break;
        } catch (const TimeoutError& e) {
            if (!ends_operation(e, deadline)) throw;
            give_up();
        }
        client_.counters().add_list_incomplete();
        if (!poll.sleep()) give_up();
    }
    sweep(deadline);
}

void S3Store::abort() noexcept {
    if (aborted_.exchange(true)) return;
    {
        std::lock_guard lock(wake_mutex_);
    }
    wake_.notify_all();
    try {
        Deadline brief(std::min(options_.request_timeout, std::chrono::milliseconds(5'000)));
        client_.put_object(keys_.aborted(rank_), {}, brief);
        // The last peer to end, by failure too, cleans up: a failed job
        // leaves nothing when every peer got to finalize or abort.
        if (!finalized_ && everyone_ended(brief)) sweep(brief);
    } catch (const std::exception& e) {
        log_.warn(std::string("could not publish this peer's abort: ") + e.what());
    }
    client_.abort();
}

}  // namespace fmi::detail::s3
