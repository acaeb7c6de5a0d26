// The store primitives the Redis algorithms are written with: post a message
// to a stream, block until entries arrive, read chunks straight into the
// caller's memory, clean up, and tell every peer when this one failed.
//
// A message is a header entry in a Redis stream: the 40-byte header followed
// by the payload when it is small (<= inline_limit()). A larger payload
// follows the header in chunk keys (SET ... PX ttl, chunk_bytes each), each
// announced by a small entry in the same stream as soon as it is written, so
// readers fetch chunk i while the sender writes chunk i+1. That overlap is not
// only latency: when chunks are consumed as they are written, Redis reuses the
// memory it just freed, while a message stored whole first costs the server a
// page fault per 4 KiB (10x the CPU per byte on this machine).
//
// Streams rather than lists because XREAD BLOCK reads without consuming (one
// post wakes every reader of a published message), watches several streams
// at once (every wait also watches the communicator's abort stream, so a
// peer's failure wakes all others), and returns everything that arrived since
// the last read, in order.
//
// Every key is written with its expiry in the same atomic step (SET PX, the
// post script; XADD NOMKSTREAM never creates a stream), so nothing outlives
// key_ttl if the job dies. In a normal run readers remove what they consumed
// (GETDEL, DEL) and the last reader of a published message removes it (the
// acknowledge script).
#pragma once

#include "channels/redis/connection.hpp"
#include "channels/redis/key_space.hpp"
#include "channels/redis/message.hpp"
#include "channels/redis/remote_errors.hpp"
#include "core/backend.hpp"
#include "core/factories.hpp"
#include "core/logger.hpp"

#include <fmi/config.hpp>
#include <fmi/errors.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fmi::detail::redis {

inline constexpr int kAnyPeer = -1;

/// One entry read from a stream: a message header (with its inline payload),
/// or the announcement that a sender's first `ready` chunks are written.
struct Entry {
    enum class Kind { message, chunks };
    Kind kind = Kind::message;
    std::string key;     ///< the stream it was read from
    Header header;       ///< message: its header
    ConstBytes payload;  ///< message: the inline payload (empty when chunked)
    int src = 0;         ///< chunks: the sender
    std::uint64_t ready = 0;             ///< chunks: chunks [0, ready) are written
    std::shared_ptr<const Reply> owner;  ///< keeps `payload` alive
};

/// A stream to wait on and the id of the last entry already read from it.
struct Cursor {
    std::string key;
    std::string last_id = "0-0";
};

/// How a payload is read: by its only reader, who removes the chunks as it
/// reads them (consume); by one of several readers, the last of whom
/// removes it when acknowledging (share); or by one of several readers while
/// the next collective's last entry removes it (leave: small messages, no
/// acknowledgements, see Mailbox::published).
enum class Take { consume, share, leave };

/// What a peer tells the others when it fails.
enum class FailureKind { mismatch, failed };

/// "redis <op> (seq s) on peer r", the start of every message about an operation.
std::string describe(const OpContext& ctx, int rank);

class Mailbox {
public:
    /// Validates the options and connects (see Connection).
    Mailbox(const PeerIdentity& who, const RedisOptions& options, const Logger& log);

    int rank() const noexcept { return who_.rank; }
    int size() const noexcept { return who_.size; }
    const KeySpace& keys() const noexcept { return keys_; }
    /// The connection, replaced by a new one if an error broke it.
    Connection& connection();
    /// Payloads up to this size travel inside the header entry.
    std::size_t inline_limit() const noexcept { return inline_limit_; }
    const std::string& ttl_ms() const noexcept { return ttl_ms_; }
    /// The communicator's logger (the algorithms trace their choice at debug).
    const Logger& log() const noexcept { return log_; }

    // ---- writing ------------------------------------------------------------
    /// Queues `payload` as one message of `ctx` from this peer to the stream
    /// `key`: the header entry, then each chunk and its announcement. Sent by
    /// the next read, flush() or sync(); the replies are checked then.
    /// `payload` must stay valid until then. Chunks are a multiple of `unit`
    /// bytes (the element size of a reduction: whole elements per chunk).
    void post(const std::string& key, const OpContext& ctx, ConstBytes payload, std::size_t unit = 1);
    /// Sends everything queued (write-behind: the replies are checked at the
    /// next read).
    void flush(const Deadline& deadline);
    /// Sends everything queued and checks every reply.
    void sync(const Deadline& deadline) { connection().sync(deadline); }

    /// Queues this peer's entry into collective ctx.seq, which runs
    /// `algorithm` ("<op>/<name>"). A peer that called something else makes
    /// the script announce the mismatch in the abort stream (every waiting
    /// peer wakes with a MismatchError) and gets one itself at its next read
    /// (see scripts::enter). The last peer to enter also removes what earlier
    /// collectives left (see leave()). With `wake`, it posts a wake-up there;
    /// with `all`, `message` is added to that stream first.
    void enter(const OpContext& ctx, const std::string& algorithm, const std::string& wake = {},
               const std::string& all = {}, ConstBytes message = {});
    /// Leaves small keys every peer has read for the next collective's last
    /// entry to remove: cheaper than acknowledging each. Every peer must
    /// leave the same keys.
    void leave(std::initializer_list<std::string> keys) { leftovers_.insert(leftovers_.end(), keys); }
    /// How readers take a message published in `key` of `bytes` bytes: small
    /// ones are left (every peer, the poster too, must call this), large ones
    /// shared and acknowledged, so their chunks are freed at once.
    Take published(const std::string& key, std::size_t bytes);
    /// The normal end: the last peer to finish removes what the last
    /// collectives left. `seq`: one past the last collective this channel ran.
    void finalize(std::uint64_t seq, const Deadline& deadline);

    // ---- waiting ------------------------------------------------------------
    /// Queues an XREAD BLOCK (until ctx's deadline) on `cursors` and the abort
    /// stream. Throws TimeoutError naming `waiting_for` if no time is left.
    void append_wait(std::span<const Cursor> cursors, const OpContext& ctx, const std::string& waiting_for);
    /// Reads the reply of append_wait(): the new entries in stream order,
    /// advancing the cursors. Throws TimeoutError naming `waiting_for`, or,
    /// when nothing else arrived, the failure another peer reported.
    std::vector<Entry> read_wait(std::span<Cursor> cursors, const OpContext& ctx, const std::string& waiting_for);
    /// Queues an XRANGE of every entry of stream `key`.
    void append_range(const std::string& key);
    /// Reads the reply of append_range().
    std::vector<Entry> read_range(const std::string& key, const OpContext& ctx);

    // ---- chunks -------------------------------------------------------------
    /// Queues the read of chunk `index` of src's message in stream `key`.
    void append_chunk_read(const std::string& key, int src, std::uint64_t index, Take take);
    /// Reads the next queued chunk straight into dest (its exact size).
    void read_chunk(MutableBytes dest, const Deadline& deadline) { connection().read_bulk_into(dest, deadline); }

    // ---- cleanup (queued; the replies are checked at the next read) ---------
    /// Removes a stream whose messages were all consumed.
    void remove(const std::string& key);
    /// Counts this peer done with src's shared message of `chunks` chunks in
    /// stream `key`; the last of its `readers` removes it with its chunks.
    void acknowledge(const std::string& key, int src, std::uint64_t chunks, int readers);

    // ---- failures -----------------------------------------------------------
    /// Tells every peer that this one failed (an entry in the abort stream),
    /// over a fresh connection so a broken or blocked one does not matter.
    /// Best effort: never throws.
    void publish_failure(FailureKind kind, const std::string& reason) noexcept;
    /// Shuts the connection down (from any thread).
    void shutdown() noexcept;
    /// Drops the connection (a new one is made on the next use).
    void drop_connection() noexcept { retire_connection(); }
    /// Commands sent to the server so far, over every connection (statistics).
    std::uint64_t commands_sent() const noexcept {
        return commands_of_closed_ + (conn_ ? conn_->commands_sent() : 0);
    }
    /// True when replies the algorithm meant to read are still unread (after
    /// an exception): the connection is then out of step and must be dropped.
    bool has_unread_replies() const noexcept { return conn_ && conn_->has_kept_replies(); }

private:
    void retire_connection() noexcept {
        if (conn_) commands_of_closed_ += conn_->commands_sent();
        conn_.reset();
    }
    [[noreturn]] void throw_remote_failure(const redisReply& fields) const;
    /// The hash (for EVALSHA) of a script of scripts.hpp.
    Arg script(const char* text) const;
    void parse_entries(const std::string& key, const redisReply& entries, const std::shared_ptr<const Reply>& owner,
                       const OpContext& ctx, std::vector<Entry>& out, std::string* last_id) const;

    PeerIdentity who_;
    RedisOptions options_;
    const Logger& log_;
    KeySpace keys_;
    std::string abort_key_;
    std::string ttl_ms_;
    std::size_t inline_limit_;
    std::unique_ptr<Connection> conn_;
    std::uint64_t commands_of_closed_ = 0;  ///< sent over connections since dropped
    std::vector<std::string> script_hashes_;  // of scripts::all, loaded on conn_
    std::vector<std::string> leftovers_;      // for the next collective's last entry
};

}  // namespace fmi::detail::redis
