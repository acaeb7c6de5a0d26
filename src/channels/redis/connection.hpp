// One connection to a Redis server: hiredis behind RAII, with the pipelining
// and zero-copy paths the Redis channel needs.
//
// Why not plain redisAppendCommandArgv + redisGetReply: hiredis 0.14 copies
// every argument twice on the way out (into the formatted command, then into
// its output buffer) and reads replies 16 KiB at a time into a buffer it grows
// and copies; a 64 MiB value reads at ~63 MB/s on this machine. So commands
// are encoded here as RESP argument vectors (never a format string) whose big
// arguments are sent straight from the caller's memory with sendmsg, and
// chunk replies are read straight into the caller's buffer. hiredis still
// connects, parses every other reply and reports socket errors.
//
// Replies come back in the order commands were appended. A command appended
// with Use::check has its reply read and checked (errors thrown) whenever a
// later reply is read or sync() runs: cleanups cost no round trip of their
// own. Use::keep replies are read by the caller with reply() or
// read_bulk_into(), in order.
//
// After any I/O error or timeout the connection is broken (the stream of
// replies is out of step) and must be replaced; server error replies leave it
// usable.
#pragma once

#include "core/deadline.hpp"

#include <fmi/communicator.hpp>
#include <fmi/config.hpp>

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fmi::detail::redis {

/// A reply object owned by RAII (freeReplyObject).
class Reply {
public:
    Reply() = default;
    explicit Reply(redisReply* r) : reply_(r) {}
    const redisReply* get() const noexcept { return reply_.get(); }
    const redisReply* operator->() const noexcept { return reply_.get(); }
    explicit operator bool() const noexcept { return bool(reply_); }
    bool is_nil() const noexcept { return reply_ && reply_->type == REDIS_REPLY_NIL; }

private:
    struct Free {
        void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
    };
    std::unique_ptr<redisReply, Free> reply_;
};

/// The bytes of a string reply.
inline std::string_view text_of(const redisReply& r) { return {r.str, r.len}; }

/// One argument of a command: `head` is copied into the output buffer, `body`
/// (sent after head, as the same argument) is sent from the caller's memory,
/// which must stay valid until the next flush.
struct Arg {
    std::string_view head;
    ConstBytes body{};

    Arg(std::string_view s) : head(s) {}  // NOLINT: arguments read best as plain strings
    Arg(const std::string& s) : head(s) {}  // NOLINT
    Arg(const char* s) : head(s) {}  // NOLINT
    Arg(std::string_view h, ConstBytes b) : head(h), body(b) {}
    std::size_t size() const noexcept { return head.size() + body.size(); }
};

class Connection {
public:
    /// What happens to a command's reply.
    enum class Use {
        keep,   ///< the caller reads it with reply() or read_bulk_into()
        check,  ///< read and checked later; an error reply is thrown then
    };

    /// Connects (options.connect_timeout), authenticates (AUTH [user]
    /// password) and selects options.database. Throws IoError (cannot
    /// connect), TimeoutError, AuthError or ServerError naming the server.
    explicit Connection(const RedisOptions& options);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// "host:port", for messages.
    const std::string& server() const noexcept { return server_; }
    /// True after an I/O error or timeout: the connection must be replaced.
    bool broken() const noexcept { return broken_; }

    /// Queues one command. `what` names it in errors (e.g. "XREAD <key>");
    /// `blocks` marks commands that block server-side until the deadline
    /// (their replies may take the deadline's remaining time to arrive).
    void append(std::span<const Arg> args, Use use, std::string what, bool blocks = false);
    void append(std::initializer_list<Arg> args, Use use, std::string what, bool blocks = false) {
        append(std::span<const Arg>(args.begin(), args.size()), use, std::move(what), blocks);
    }

    /// Sends every queued command.
    void flush();
    /// Reads the next kept reply (after checking earlier Use::check replies).
    /// Error replies throw ServerError/AuthError naming the command.
    Reply reply(const Deadline& deadline);
    /// Reads the next kept reply, which must be a bulk string of exactly
    /// dest.size() bytes, straight into dest. A nil reply throws IoError
    /// (the key is missing: expired or never written).
    void read_bulk_into(MutableBytes dest, const Deadline& deadline);
    /// Sends everything and checks every outstanding Use::check reply.
    void sync(const Deadline& deadline);
    /// Number of replies not read yet.
    std::size_t outstanding() const noexcept { return pending_.size(); }
    /// Commands queued on this connection since it opened (statistics).
    std::uint64_t commands_sent() const noexcept { return commands_sent_; }
    /// True when a Use::keep reply is still unread.
    bool has_kept_replies() const noexcept;

    /// Sends one command and returns its reply (a round trip).
    Reply command(std::initializer_list<Arg> args, std::string what, const Deadline& deadline);

    /// Shuts the socket down so a thread blocked on it returns at once. Safe
    /// from another thread; the object must still be destroyed by its owner.
    void shutdown() noexcept;

private:
    struct Pending {
        std::string what;
        Use use;
        bool blocks;
    };
    struct Segment {  // a piece of output: caller memory, or a range of out_
        const std::byte* external;  // null: the bytes are out_[offset, offset + size)
        std::size_t offset;
        std::size_t size;
    };

    void connect(const RedisOptions& options);
    void authenticate(const RedisOptions& options, const Deadline& deadline);
    void drain_checks(const Deadline& deadline);
    Reply read_reply(const Pending& p, const Deadline& deadline);
    void set_read_timeout(const Pending& p, const Deadline& deadline);
    void set_socket_timeout(std::chrono::milliseconds t);
    std::size_t read_raw(void* dest, std::size_t n, const Pending& p);
    void read_raw_exact(void* dest, std::size_t n, const Pending& p);
    std::string read_raw_line(const Pending& p);
    std::size_t take_buffered(void* dest, std::size_t n) noexcept;
    [[noreturn]] void throw_io(const std::string& what, int err, const std::string& detail,
                               bool timed_out);
    [[noreturn]] void throw_reply_error(const std::string& what, std::string_view message) const;

    struct ContextFree {
        void operator()(redisContext* c) const noexcept { redisFree(c); }
    };
    std::unique_ptr<redisContext, ContextFree> ctx_;
    std::string server_;
    std::chrono::milliseconds command_timeout_;
    std::chrono::milliseconds socket_timeout_{-1};
    std::chrono::steady_clock::time_point wait_started_{};  // of the reply being read
    bool broken_ = false;
    std::uint64_t commands_sent_ = 0;

    std::string out_;                 // encoded small parts of queued commands
    std::vector<Segment> segments_;   // queued output, in order
    std::deque<Pending> pending_;     // replies not read yet, in order
};

}  // namespace fmi::detail::redis
