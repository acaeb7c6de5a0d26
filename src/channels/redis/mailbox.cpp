#include "channels/redis/mailbox.hpp"

#include "channels/redis/scripts.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace fmi::detail::redis {

namespace {

// Payloads up to this size ride inside the header entry and are parsed by
// hiredis; larger ones go through chunk keys read straight into the
// destination. Measured (fmi-bench --channel redis --op pingpong, redis 7.0,
// one way): inline 32 KiB 127 us, 48 KiB 669 us, 64 KiB 1224 us, while a
// chunked 65 KiB took 340 us and 128 KiB 273 us: above 32 KiB an inline
// payload falls off a cliff (not investigated; Redis reads arguments of
// 32 KiB and more, its PROTO_MBULK_BIG_ARG, on a separate path), so larger
// ones are chunked.
constexpr std::size_t kInlineMax = 32 * 1024;
// Redis refuses bulk strings above proto-max-bulk-len (512 MiB by default).
constexpr std::size_t kChunkMax = 512u << 20;
// Replies of write-behind commands (posts, cleanups) left unread at most.
constexpr std::size_t kMaxUncheckedReplies = 1024;

ConstBytes bytes_of(std::string_view s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

std::string_view field_value(const redisReply& fields, std::string_view name) {
    for (std::size_t i = 0; i + 1 < fields.elements; i += 2)
        if (text_of(*fields.element[i]) == name) return text_of(*fields.element[i + 1]);
    return {};
}

/// Parses "<src> <ready>" of a chunk announcement.
bool parse_chunks(std::string_view text, int& src, std::uint64_t& ready) {
    auto space = text.find(' ');
    if (space == std::string_view::npos) return false;
    auto [p1, e1] = std::from_chars(text.data(), text.data() + space, src);
    auto [p2, e2] = std::from_chars(text.data() + space + 1, text.data() + text.size(), ready);
    return e1 == std::errc() && e2 == std::errc() && p1 == text.data() + space && p2 == text.data() + text.size();
}

}  // namespace

std::string describe(const OpContext& ctx, int rank) {
    // send and recv share one kind; their seq numbers the pair's messages
    std::string op = ctx.op == OpKind::send ? "send/recv" : to_string(ctx.op);
    return "redis " + op + " (seq " + std::to_string(ctx.seq) + ") on peer " + std::to_string(rank);
}

Mailbox::Mailbox(const PeerIdentity& who, const RedisOptions& options, const Logger& log)
    : who_(who), options_(options), log_(log), keys_(options.key_prefix, who.comm), abort_key_(keys_.abort()) {
    if (options.chunk_bytes == 0 || options.chunk_bytes > kChunkMax)
        throw ConfigError("redis.chunk_bytes", "must be between 1 and " + std::to_string(kChunkMax) + " bytes, got " +
                                                   std::to_string(options.chunk_bytes));
    if (options.key_ttl.count() <= 0)
        throw ConfigError("redis.key_ttl", "must be positive, got " + std::to_string(options.key_ttl.count()) + " s");
    ttl_ms_ = std::to_string(std::chrono::milliseconds(options.key_ttl).count());
    inline_limit_ = std::min(kInlineMax, options.chunk_bytes);
    connection();
}

Connection& Mailbox::connection() {
    if (!conn_ || conn_->broken()) {
        retire_connection();
        auto fresh = std::make_unique<Connection>(options_);
        Deadline deadline(options_.command_timeout);
        for (const char* text : scripts::all) fresh->append({"SCRIPT", "LOAD", text}, Connection::Use::keep, "SCRIPT LOAD");
        script_hashes_.clear();
        for (std::size_t i = 0; i < std::size(scripts::all); ++i)
            script_hashes_.emplace_back(text_of(*fresh->reply(deadline).get()));
        conn_ = std::move(fresh);
    }
    return *conn_;
}

Arg Mailbox::script(const char* text) const {
    for (std::size_t i = 0; i < std::size(scripts::all); ++i)
        if (scripts::all[i] == text) return Arg(script_hashes_[i]);
    throw std::logic_error("redis: script not loaded");
}

void Mailbox::shutdown() noexcept {
    if (conn_) conn_->shutdown();
}

// ---- writing ------------------------------------------------------------------

void Mailbox::post(const std::string& key, const OpContext& ctx, ConstBytes payload, std::size_t unit) {
    Connection& c = connection();
    Header h{ctx.op, rank(), ctx.seq, payload.size(), 0};
    if (payload.size() > inline_limit_) {
        unit = std::max<std::size_t>(unit, 1);
        h.chunk_bytes = std::max(unit, options_.chunk_bytes / unit * unit);
    }
    std::string header = encode_header(h);
    c.append({"EVALSHA", script(scripts::post), "1", key, ttl_ms_, Arg(header, h.chunked() ? ConstBytes{} : payload)},
             Connection::Use::check, "XADD " + key);
    std::string self = std::to_string(rank()) + " ";
    for (std::uint64_t i = 0; i < h.chunk_count(); ++i) {
        std::size_t offset = i * h.chunk_bytes;
        ConstBytes piece = payload.subspan(offset, std::min<std::size_t>(h.chunk_bytes, payload.size() - offset));
        std::string chunk = KeySpace::chunk(key, rank(), i);
        c.append({"SET", chunk, Arg({}, piece), "PX", ttl_ms_}, Connection::Use::check, "SET " + chunk);
        // NOMKSTREAM: never recreate a stream that expired (it would have no expiry).
        c.append({"XADD", key, "NOMKSTREAM", "*", "c", self + std::to_string(i + 1)}, Connection::Use::check,
                 "XADD " + key + " (chunk " + std::to_string(i) + ")");
    }
}

void Mailbox::enter(const OpContext& ctx, const std::string& algorithm, const std::string& wake,
                    const std::string& all, ConstBytes message) {
    Connection& c = connection();
    std::string op = keys_.op(ctx.seq);
    std::string peers = std::to_string(size()), self = std::to_string(rank());
    std::string fixed = all.empty() ? (wake.empty() ? "2" : "3") : "4";
    // The wake-up is the collective's, not its poster's: it names peer 0.
    std::string wake_message = wake.empty() ? std::string() : encode_header(Header{ctx.op, 0, ctx.seq, 0, 0});
    std::string header = all.empty() ? std::string() : encode_header(Header{ctx.op, rank(), ctx.seq, message.size(), 0});
    std::string numkeys = std::to_string(std::stoi(fixed) + leftovers_.size());
    std::vector<Arg> args{"EVALSHA", script(scripts::enter), numkeys, op, abort_key_};
    if (!wake.empty()) args.emplace_back(wake);
    if (!all.empty()) args.emplace_back(all);
    for (const std::string& k : leftovers_) args.emplace_back(k);
    args.insert(args.end(), {peers, ttl_ms_, algorithm, self, wake_message, Arg(header, message), fixed});
    c.append(args, Connection::Use::check, algorithm + " entry at " + op);
    leftovers_.clear();  // the arguments are copied into the output buffer
}

Take Mailbox::published(const std::string& key, std::size_t bytes) {
    if (bytes > inline_limit_) return Take::share;
    leave({key});
    return Take::leave;
}

void Mailbox::finalize(std::uint64_t seq, const Deadline& deadline) {
    if (size() > 1) enter(OpContext{OpKind::barrier, seq, deadline}, "finalize");
    sync(deadline);
}

void Mailbox::flush(const Deadline& deadline) {
    Connection& c = connection();
    // Write-behind replies are checked at the next read; a peer that only
    // writes must still read them before they pile up.
    if (c.outstanding() > kMaxUncheckedReplies) c.sync(deadline);
    c.flush();
}

// ---- waiting ------------------------------------------------------------------

void Mailbox::append_wait(std::span<const Cursor> cursors, const OpContext& ctx, const std::string& waiting_for) {
    const Deadline& deadline = ctx.deadline;
    // BLOCK takes whole milliseconds and 0 means forever: round up, never 0.
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline.end() - Deadline::clock::now());
    if (left.count() <= 0) deadline.throw_timeout(describe(ctx, rank()) + ": waiting for " + waiting_for);
    std::string block_ms = std::to_string((left.count() + 999) / 1000);
    std::vector<Arg> args{"XREAD", "COUNT", "10000", "BLOCK", block_ms, "STREAMS"};
    for (const Cursor& cur : cursors) args.emplace_back(cur.key);
    args.emplace_back(abort_key_);
    for (const Cursor& cur : cursors) args.emplace_back(cur.last_id);
    args.emplace_back("0-0");
    connection().append(args, Connection::Use::keep,
                        "XREAD " + cursors.front().key + (cursors.size() > 1 ? " ..." : ""), /*blocks=*/true);
}

std::vector<Entry> Mailbox::read_wait(std::span<Cursor> cursors, const OpContext& ctx, const std::string& waiting_for) {
    auto reply = std::make_shared<const Reply>(connection().reply(ctx.deadline));
    if (reply->is_nil()) ctx.deadline.throw_timeout(describe(ctx, rank()) + ": waiting for " + waiting_for);

    std::vector<Entry> out;
    const redisReply* failure = nullptr;
    const redisReply& streams = *reply->get();
    for (std::size_t s = 0; s < streams.elements; ++s) {
        const redisReply& stream = *streams.element[s];
        std::string key(text_of(*stream.element[0]));
        const redisReply& entries = *stream.element[1];
        if (key == abort_key_) {
            failure = entries.element[0]->element[1];
            continue;
        }
        auto cursor = std::find_if(cursors.begin(), cursors.end(), [&](const Cursor& c) { return c.key == key; });
        parse_entries(key, entries, reply, ctx, out, cursor != cursors.end() ? &cursor->last_id : nullptr);
    }
    // What arrived is taken first (its own errors are the more precise); a
    // peer's failure stays in the abort stream, so the next wait reports it.
    if (out.empty() && failure != nullptr) throw_remote_failure(*failure);
    return out;
}

void Mailbox::append_range(const std::string& key) {
    connection().append({"XRANGE", key, "-", "+"}, Connection::Use::keep, "XRANGE " + key);
}

std::vector<Entry> Mailbox::read_range(const std::string& key, const OpContext& ctx) {
    auto reply = std::make_shared<const Reply>(connection().reply(ctx.deadline));
    std::vector<Entry> out;
    parse_entries(key, *reply->get(), reply, ctx, out, nullptr);
    return out;
}

void Mailbox::parse_entries(const std::string& key, const redisReply& entries,
                            const std::shared_ptr<const Reply>& owner, const OpContext& ctx, std::vector<Entry>& out,
                            std::string* last_id) const {
    for (std::size_t e = 0; e < entries.elements; ++e) {
        const redisReply& entry = *entries.element[e];
        const redisReply& fields = *entry.element[1];
        Entry parsed;
        parsed.key = key;
        parsed.owner = owner;
        std::string_view body = field_value(fields, "m");
        std::string_view chunks = field_value(fields, "c");
        if (!body.empty()) {
            parsed.header = decode_header(body, key);
            if (!parsed.header.chunked()) parsed.payload = bytes_of(body.substr(kHeaderBytes));
        } else if (!chunks.empty() && parse_chunks(chunks, parsed.src, parsed.ready)) {
            parsed.kind = Entry::Kind::chunks;
        } else {
            throw IoError(describe(ctx, rank()) + ": stream " + key + " holds an entry that is not fmi's");
        }
        out.push_back(std::move(parsed));
        if (last_id != nullptr) *last_id = std::string(text_of(*entry.element[0]));
    }
}

// ---- chunks -------------------------------------------------------------------

void Mailbox::append_chunk_read(const std::string& key, int src, std::uint64_t index, Take take) {
    // leave/share: other readers still need the chunk
    const char* get = take == Take::consume ? "GETDEL" : "GET";
    std::string chunk = KeySpace::chunk(key, src, index);
    connection().append({get, chunk}, Connection::Use::keep, std::string(get) + " " + chunk);
}

// ---- cleanup --------------------------------------------------------------------

void Mailbox::remove(const std::string& key) {
    connection().append({"DEL", key}, Connection::Use::check, "DEL " + key);
}

void Mailbox::acknowledge(const std::string& key, int src, std::uint64_t chunks, int readers) {
    std::vector<std::string> keys{KeySpace::acks(key), key};
    for (std::uint64_t i = 0; i < chunks; ++i) keys.push_back(KeySpace::chunk(key, src, i));
    std::string numkeys = std::to_string(keys.size());
    std::string expected = std::to_string(readers);
    std::vector<Arg> args{"EVALSHA", script(scripts::acknowledge), numkeys};
    for (const std::string& k : keys) args.emplace_back(k);
    args.emplace_back(expected);
    args.emplace_back(ttl_ms_);
    connection().append(args, Connection::Use::check, "acknowledge " + key);
}

// ---- failures -------------------------------------------------------------------

void Mailbox::publish_failure(FailureKind kind, const std::string& reason) noexcept {
    try {
        RedisOptions quick = options_;
        // A peer that fails must not hang on a dead server on its way out.
        quick.connect_timeout = std::min(quick.connect_timeout, std::chrono::milliseconds(2'000));
        quick.command_timeout = std::min(quick.command_timeout, std::chrono::milliseconds(2'000));
        Connection c(quick);
        std::string peer = std::to_string(rank());
        const char* what = kind == FailureKind::mismatch ? "mismatch" : "failed";
        Deadline deadline(quick.command_timeout);
        // MULTI/EXEC: the marker never exists without its expiry.
        c.append({"MULTI"}, Connection::Use::check, "MULTI");
        c.append({"XADD", abort_key_, "*", "peer", peer, "kind", what, "reason", reason}, Connection::Use::check,
                 "XADD " + abort_key_);
        c.append({"PEXPIRE", abort_key_, ttl_ms_}, Connection::Use::check, "PEXPIRE " + abort_key_);
        c.append({"EXEC"}, Connection::Use::check, "EXEC");
        c.sync(deadline);
    } catch (const std::exception& e) {
        log_.warn(std::string("redis: could not tell the other peers about this failure: ") + e.what());
    }
}

void Mailbox::throw_remote_failure(const redisReply& fields) const {
    std::string peer(field_value(fields, "peer"));
    std::string reason(field_value(fields, "reason"));
    std::string text = "redis: peer " + peer + " failed: " + reason;
    if (field_value(fields, "kind") == "mismatch") throw RemoteMismatchError(text);
    int id = -1;
    std::from_chars(peer.data(), peer.data() + peer.size(), id);
    throw RemoteFailureError(text, id);
}

}  // namespace fmi::detail::redis
