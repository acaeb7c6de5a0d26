#include "channels/redis/receiver.hpp"

#include <algorithm>
#include <cstring>
#include <set>

namespace fmi::detail::redis {

namespace {

// Bytes of chunk replies in flight at once: enough to keep the connection
// busy, little enough that Redis's output buffers stay small.
constexpr std::size_t kInFlightBytes = 8u << 20;

std::size_t window_for(std::uint64_t chunk_bytes) {
    return std::clamp<std::size_t>(kInFlightBytes / std::max<std::uint64_t>(chunk_bytes, 1), 2, 64);
}

}  // namespace

Receiver::Sink Receiver::into(std::function<MutableBytes(int src)> dest_of) {
    Sink sink;
    sink.target = [dest_of = std::move(dest_of)](int src, std::size_t offset, std::size_t len) {
        return dest_of(src).subspan(offset, len);
    };
    return sink;
}

Receiver::Receiver(Mailbox& mb, const OpContext& ctx, std::string waiting_for)
    : mb_(mb), ctx_(ctx), waiting_for_(std::move(waiting_for)) {}

void Receiver::expect(const std::string& key, int src, std::size_t bytes, Take take, int readers) {
    Slot slot;
    slot.key = key;
    slot.src = src;
    slot.bytes = bytes;
    slot.take = take;
    slot.readers = readers;
    slots_.push_back(std::move(slot));
    ++remaining_;
    if (std::none_of(cursors_.begin(), cursors_.end(), [&](const Cursor& c) { return c.key == key; }))
        cursors_.push_back(Cursor{key});
}

bool Receiver::needs_entries(const Slot& s) const {
    return !s.complete && (!s.message || s.announced < s.message->header.chunk_count());
}

Receiver::Slot& Receiver::slot_of(const std::string& key, int src, const char* what) {
    for (Slot& s : slots_)
        if (s.key == key && s.src == src) return s;
    throw IoError(describe(ctx_, mb_.rank()) + ": unexpected " + what + " from peer " + std::to_string(src) +
                  " in stream " + key);
}

void Receiver::accept(Entry&& e) {
    if (e.kind == Entry::Kind::chunks) {
        Slot& s = slot_of(e.key, e.src, "chunk");
        if (!s.message || e.ready > s.message->header.chunk_count())
            throw IoError(describe(ctx_, mb_.rank()) + ": stream " + e.key + " announces chunk " +
                          std::to_string(e.ready) + " of peer " + std::to_string(e.src) + " out of order");
        s.announced = std::max(s.announced, e.ready);
        return;
    }
    const Header& h = e.header;
    // Another operation's message is the first thing to report: the peers
    // are out of step, and nothing else here can be trusted.
    if (h.op != ctx_.op || h.seq != ctx_.seq)
        throw MismatchError(describe(ctx_, mb_.rank()) + ": peer " + std::to_string(h.src) + " sent a message of " +
                            to_string(h.op) + " (seq " + std::to_string(h.seq) + ") at key " + e.key +
                            ": the peers called different operations");
    Slot& s = slot_of(e.key, h.src, "message");
    if (s.message)
        throw IoError(describe(ctx_, mb_.rank()) + ": two messages from peer " + std::to_string(h.src) +
                      " in stream " + e.key);
    if (h.total_bytes != s.bytes) {
        // Read it to its end anyway, so the stream is consumed and the
        // operation's other messages are taken; report afterwards. From here
        // on the result is void: everything still to come is drained too.
        if (!size_error_)
            size_error_ = std::make_exception_ptr(SizeMismatchError(describe(ctx_, mb_.rank()), h.src, s.bytes, h.total_bytes));
        for (Slot& other : slots_) other.drain = true;
        s.bytes = h.total_bytes;
    }
    s.message = std::move(e);
}

MutableBytes Receiver::target(Slot& s, std::size_t offset, std::size_t len, const Sink& sink) {
    if (!s.drain) return sink.target(s.src, offset, len);
    if (drain_.size() < len) drain_.resize(len);
    return MutableBytes(drain_.data(), len);
}

void Receiver::finish(Slot& s, const Sink& sink) {
    s.complete = true;
    --remaining_;
    if (s.take == Take::share) mb_.acknowledge(s.key, s.src, s.message->header.chunk_count(), s.readers);
    if (!s.drain) sink.complete(s.src);
}

void Receiver::run(const Sink& sink) {
    try {
        receive(sink);
    } catch (const RemoteFailureError&) {
        // Draining a message of the wrong size, this peer's own error is the
        // more precise (the failure reported is most likely a partner's).
        if (size_error_) std::rethrow_exception(size_error_);
        throw;
    }
    // Streams whose every message was consumed are ours to delete.
    for (const Cursor& c : cursors_) {
        bool consumed = std::all_of(slots_.begin(), slots_.end(),
                                    [&](const Slot& s) { return s.key != c.key || s.take == Take::consume; });
        if (consumed) mb_.remove(c.key);
    }
    if (size_error_) std::rethrow_exception(size_error_);
}

void Receiver::receive(const Sink& sink) {
    while (remaining_ > 0) {
        // 1. Hand over inline payloads; queue reads of announced chunks.
        std::vector<Request> requests;
        bool all_requested = true;  // every announced chunk we may read is queued
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            Slot& s = slots_[i];
            if (s.complete || !s.message || !(s.drain || sink.may_deliver(s.src))) continue;
            const Header& h = s.message->header;
            if (!h.chunked()) {
                MutableBytes to = target(s, 0, s.bytes, sink);
                std::memcpy(to.data(), s.message->payload.data(), s.bytes);
                if (!s.drain) sink.arrived(s.src, 0, to);
                finish(s, sink);
                continue;
            }
            std::size_t window = window_for(h.chunk_bytes);
            for (; s.requested < s.announced && s.requested - s.delivered < window; ++s.requested) {
                mb_.append_chunk_read(s.key, s.src, s.requested, s.take);
                requests.push_back({i, s.requested});
            }
            if (s.requested < s.announced) all_requested = false;
        }
        if (remaining_ == 0) break;

        // 2. When every readable chunk is queued, wait (in the same write)
        //    for the streams that still owe entries.
        std::vector<Cursor> waiting;
        if (all_requested) {
            std::set<std::string> keys;
            for (const Slot& s : slots_)
                if (needs_entries(s)) keys.insert(s.key);
            for (const Cursor& c : cursors_)
                if (keys.count(c.key)) waiting.push_back(c);
            if (!waiting.empty()) mb_.append_wait(waiting, ctx_, waiting_for_);
        }
        if (requests.empty() && waiting.empty())
            throw std::logic_error(describe(ctx_, mb_.rank()) + ": receiver cannot make progress");

        // 3. Read the replies in the order they were queued.
        for (const Request& r : requests) {
            Slot& s = slots_[r.slot];
            const Header& h = s.message->header;
            std::size_t offset = r.index * h.chunk_bytes;
            std::size_t len = std::min<std::size_t>(h.chunk_bytes, h.total_bytes - offset);
            MutableBytes to = target(s, offset, len, sink);
            mb_.read_chunk(to, ctx_.deadline);
            ++s.delivered;
            if (!s.drain) sink.arrived(s.src, offset, to);
            if (s.delivered == h.chunk_count()) finish(s, sink);
        }
        if (!waiting.empty()) {
            for (Entry& e : mb_.read_wait(waiting, ctx_, waiting_for_)) accept(std::move(e));
            for (const Cursor& w : waiting)
                for (Cursor& c : cursors_)
                    if (c.key == w.key) c.last_id = w.last_id;
        }
    }
}

}  // namespace fmi::detail::redis
