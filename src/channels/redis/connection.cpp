#include "channels/redis/connection.hpp"

#include "channels/redis/remote_errors.hpp"

#include <fmi/errors.hpp>

#include <hiredis/read.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

namespace fmi::detail::redis {

namespace {

using std::chrono::milliseconds;

// Arguments smaller than this are copied into the output buffer; larger ones
// are sent from the caller's memory (one iovec each).
constexpr std::size_t kCopyBelow = 32 * 1024;

timeval to_timeval(milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    return tv;
}

milliseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

Connection::Connection(const RedisOptions& options)
    : server_(options.host + ":" + std::to_string(options.port)),
      command_timeout_(options.command_timeout) {
    connect(options);
    Deadline deadline(options.connect_timeout + options.command_timeout);
    authenticate(options, deadline);
}

Connection::~Connection() = default;

void Connection::connect(const RedisOptions& options) {
    if (options.connect_timeout <= milliseconds(0) || options.command_timeout <= milliseconds(0))
        throw ConfigError("redis.connect_timeout/command_timeout", "must be positive");
    auto started = std::chrono::steady_clock::now();
    ctx_.reset(redisConnectWithTimeout(options.host.c_str(), options.port,
                                       to_timeval(options.connect_timeout)));
    if (!ctx_) throw IoError("redis " + server_ + ": cannot allocate a connection");
    if (ctx_->err) {
        std::string detail = ctx_->errstr;
        ctx_.reset();
        if (detail.find("timed out") != std::string::npos)
            throw TimeoutError("redis " + server_ + ": connect", since(started), options.connect_timeout);
        throw IoError("redis " + server_ + ": cannot connect: " + detail);
    }
    // Long blocking waits must still notice a server that vanished without
    // closing the connection.
    redisEnableKeepAlive(ctx_.get());
    timeval send_timeout = to_timeval(command_timeout_);
    ::setsockopt(ctx_->fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
}

void Connection::authenticate(const RedisOptions& options, const Deadline& deadline) {
    if (!options.password.empty()) {
        if (options.user.empty())
            append({"AUTH", options.password}, Use::check, "AUTH");
        else
            append({"AUTH", options.user, options.password}, Use::check, "AUTH (user " + options.user + ")");
    }
    // PING proves the server answers (and that it needs no password when we
    // gave none: it then replies NOAUTH).
    std::string db = std::to_string(options.database);
    if (options.database != 0) append({"SELECT", db}, Use::check, "SELECT " + db);
    append({"PING"}, Use::check, "PING");
    try {
        sync(deadline);
    } catch (const AuthError& e) {
        if (!options.password.empty()) throw;
        throw AuthError(std::string(e.what()) + " (the server requires a password: set the Redis password in the configuration)");
    }
}

void Connection::append(std::span<const Arg> args, Use use, std::string what, bool blocks) {
    ++commands_sent_;
    auto copy = [this](std::string_view bytes) {
        if (bytes.empty()) return;
        std::size_t at = out_.size();
        out_.append(bytes);
        if (!segments_.empty() && !segments_.back().external &&
            segments_.back().offset + segments_.back().size == at) {
            segments_.back().size += bytes.size();
        } else {
            segments_.push_back({nullptr, at, bytes.size()});
        }
    };
    char number[32];
    auto line = [&](char type, std::size_t n) {
        number[0] = type;
        auto [end, ec] = std::to_chars(number + 1, number + sizeof number - 2, n);
        *end++ = '\r';
        *end++ = '\n';
        copy(std::string_view(number, static_cast<std::size_t>(end - number)));
    };
    line('*', args.size());
    for (const Arg& a : args) {
        line('$', a.size());
        copy(a.head);
        if (a.body.size() < kCopyBelow) {
            copy(std::string_view(reinterpret_cast<const char*>(a.body.data()), a.body.size()));
        } else {
            segments_.push_back({a.body.data(), 0, a.body.size()});
        }
        copy("\r\n");
    }
    pending_.push_back({std::move(what), use, blocks});
}

void Connection::flush() {
    if (segments_.empty()) return;
    if (broken_ || !ctx_) throw IoError("redis " + server_ + ": connection is closed after an earlier error");
    std::vector<iovec> iov;
    iov.reserve(segments_.size());
    for (const Segment& s : segments_) {
        const char* base = s.external ? reinterpret_cast<const char*>(s.external) : out_.data() + s.offset;
        iov.push_back({const_cast<char*>(base), s.size});
    }
    std::size_t first = 0;
    while (first < iov.size()) {
        msghdr msg{};
        msg.msg_iov = iov.data() + first;
        msg.msg_iovlen = std::min<std::size_t>(iov.size() - first, IOV_MAX);
        // MSG_NOSIGNAL: a server that went away is an IoError, not SIGPIPE.
        ssize_t n = ::sendmsg(ctx_->fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            const std::string& what = pending_.empty() ? std::string("write") : pending_.back().what;
            if (err == EAGAIN || err == EWOULDBLOCK) {
                broken_ = true;
                throw TimeoutError("redis " + server_ + ": sending " + what, command_timeout_, command_timeout_);
            }
            throw_io("sending " + what, REDIS_ERR_IO, std::strerror(err), false);
        }
        auto left = static_cast<std::size_t>(n);
        while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
        if (left > 0) {
            iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
            iov[first].iov_len -= left;
        }
    }
    segments_.clear();
    out_.clear();
}

void Connection::set_socket_timeout(milliseconds t) {
    if (t == socket_timeout_) return;
    timeval tv = to_timeval(std::max(t, milliseconds(1)));
    ::setsockopt(ctx_->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    socket_timeout_ = t;
}

void Connection::set_read_timeout(const Pending& p, const Deadline& deadline) {
    // A blocking command may legitimately stay silent until the deadline; the
    // socket timeout then gives the server command_timeout more to answer.
    set_socket_timeout(p.blocks ? deadline.remaining() + command_timeout_ : command_timeout_);
    wait_started_ = std::chrono::steady_clock::now();
}

Reply Connection::read_reply(const Pending& p, const Deadline& deadline) {
    if (broken_ || !ctx_) throw IoError("redis " + server_ + ": connection is closed after an earlier error");
    set_read_timeout(p, deadline);
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) {
        int err = errno;
        throw_io("reading the reply to " + p.what, ctx_->err, ctx_->errstr,
                 err == EAGAIN || err == EWOULDBLOCK);
    }
    Reply r(static_cast<redisReply*>(raw));
    if (r->type == REDIS_REPLY_ERROR) throw_reply_error(p.what, text_of(*r.get()));
    return r;
}

void Connection::drain_checks(const Deadline& deadline) {
    while (!pending_.empty() && pending_.front().use == Use::check) {
        Pending p = std::move(pending_.front());
        pending_.pop_front();
        read_reply(p, deadline);
    }
}

Reply Connection::reply(const Deadline& deadline) {
    flush();
    drain_checks(deadline);
    if (pending_.empty()) throw std::logic_error("redis: reply() without a pending command");
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    return read_reply(p, deadline);
}

void Connection::sync(const Deadline& deadline) {
    flush();
    drain_checks(deadline);
    if (!pending_.empty()) throw std::logic_error("redis: sync() with unread kept replies");
}

bool Connection::has_kept_replies() const noexcept {
    return std::any_of(pending_.begin(), pending_.end(), [](const Pending& p) { return p.use == Use::keep; });
}

Reply Connection::command(std::initializer_list<Arg> args, std::string what, const Deadline& deadline) {
    append(args, Use::keep, std::move(what));
    return reply(deadline);
}

// ---- raw reading of bulk replies --------------------------------------------

std::size_t Connection::take_buffered(void* dest, std::size_t n) noexcept {
    // hiredis reads 16 KiB at a time, so after its last reply its buffer may
    // already hold the start of ours: those bytes come first.
    redisReader* r = ctx_->reader;
    if (r == nullptr || r->pos >= r->len) return 0;
    std::size_t take = std::min(n, r->len - r->pos);
    std::memcpy(dest, r->buf + r->pos, take);
    r->pos += take;
    return take;
}

std::size_t Connection::read_raw(void* dest, std::size_t n, const Pending& p) {
    if (std::size_t got = take_buffered(dest, n)) return got;
    for (;;) {
        ssize_t got = ::recv(ctx_->fd, dest, n, 0);
        if (got > 0) return static_cast<std::size_t>(got);
        if (got == 0) throw_io("reading the reply to " + p.what, REDIS_ERR_EOF, "Server closed the connection", false);
        if (errno == EINTR) continue;
        int err = errno;
        throw_io("reading the reply to " + p.what, REDIS_ERR_IO, std::strerror(err),
                 err == EAGAIN || err == EWOULDBLOCK);
    }
}

void Connection::read_raw_exact(void* dest, std::size_t n, const Pending& p) {
    auto* at = static_cast<char*>(dest);
    while (n > 0) {
        std::size_t got = read_raw(at, n, p);
        at += got;
        n -= got;
    }
}

std::string Connection::read_raw_line(const Pending& p) {
    // Reads up to and including CRLF without consuming a byte beyond it: the
    // bytes after the line belong to the payload (or to the next reply).
    std::string line;
    for (;;) {
        char buf[64];
        std::size_t n = 0;
        redisReader* r = ctx_->reader;
        bool from_reader = r != nullptr && r->pos < r->len;
        if (from_reader) {
            n = std::min(sizeof buf, r->len - r->pos);
            std::memcpy(buf, r->buf + r->pos, n);
        } else {
            ssize_t got = ::recv(ctx_->fd, buf, sizeof buf, MSG_PEEK);
            if (got == 0) throw_io("reading the reply to " + p.what, REDIS_ERR_EOF, "Server closed the connection", false);
            if (got < 0) {
                if (errno == EINTR) continue;
                int err = errno;
                throw_io("reading the reply to " + p.what, REDIS_ERR_IO, std::strerror(err),
                         err == EAGAIN || err == EWOULDBLOCK);
            }
            n = static_cast<std::size_t>(got);
        }
        // The CR may be the last byte already in `line`.
        std::size_t take = n;
        bool done = false;
        for (std::size_t i = 0; i < n; ++i) {
            bool cr_before = i > 0 ? buf[i - 1] == '\r' : (!line.empty() && line.back() == '\r');
            if (buf[i] == '\n' && cr_before) {
                take = i + 1;
                done = true;
                break;
            }
        }
        if (from_reader) {
            r->pos += take;
        } else {
            read_raw_exact(buf, take, p);  // consume exactly what we keep
        }
        line.append(buf, take);
        if (done) {
            line.resize(line.size() - 2);
            return line;
        }
        if (line.size() > 4096) throw_io("reading the reply to " + p.what, REDIS_ERR_PROTOCOL, "reply line too long", false);
    }
}

void Connection::read_bulk_into(MutableBytes dest, const Deadline& deadline) {
    flush();
    drain_checks(deadline);
    if (pending_.empty()) throw std::logic_error("redis: read_bulk_into() without a pending command");
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    if (broken_ || !ctx_) throw IoError("redis " + server_ + ": connection is closed after an earlier error");
    set_read_timeout(p, deadline);

    std::string line = read_raw_line(p);
    if (line.empty()) throw_io("reading the reply to " + p.what, REDIS_ERR_PROTOCOL, "empty reply line", false);
    if (line[0] == '-') throw_reply_error(p.what, std::string_view(line).substr(1));
    long long length = -2;
    if (line[0] == '$') {
        auto [end, ec] = std::from_chars(line.data() + 1, line.data() + line.size(), length);
        if (ec != std::errc() || end != line.data() + line.size()) length = -2;
    }
    if (length == -1)
        throw IoError("redis " + server_ + ": " + p.what + ": the key does not exist (expired, or never written)");
    if (length < 0)
        throw_io("reading the reply to " + p.what, REDIS_ERR_PROTOCOL, "expected a bulk string, got '" + line + "'", false);
    if (static_cast<std::size_t>(length) != dest.size()) {
        // The protocol stays in step: skip the value, then report.
        std::vector<char> sink(64 * 1024);
        for (long long left = length + 2; left > 0;) {
            std::size_t n = static_cast<std::size_t>(std::min<long long>(left, static_cast<long long>(sink.size())));
            read_raw_exact(sink.data(), n, p);
            left -= static_cast<long long>(n);
        }
        throw IoError("redis " + server_ + ": " + p.what + ": value has " + std::to_string(length) +
                      " bytes, expected " + std::to_string(dest.size()));
    }
    read_raw_exact(dest.data(), dest.size(), p);
    char crlf[2];
    read_raw_exact(crlf, 2, p);
    if (crlf[0] != '\r' || crlf[1] != '\n')
        throw_io("reading the reply to " + p.what, REDIS_ERR_PROTOCOL, "bulk string not terminated by CRLF", false);
}

// ---- errors -------------------------------------------------------------------

void Connection::throw_io(const std::string& what, int err, const std::string& detail, bool timed_out) {
    broken_ = true;
    std::string where = "redis " + server_ + ": " + what;
    // The socket timeout expired: the server did not answer in time.
    if (timed_out) throw TimeoutError(where, since(wait_started_), socket_timeout_);
    if (err == REDIS_ERR_EOF) throw IoError(where + ": the server closed the connection");
    throw IoError(where + ": " + detail);
}

void Connection::throw_reply_error(const std::string& what, std::string_view message) const {
    std::string text = "redis " + server_ + ": " + what + ": " + std::string(message);
    // Our enter script reports (and has announced to every peer) that the
    // peers called different operations.
    if (message.starts_with("FMI-MISMATCH")) throw RemoteMismatchError(text);
    // NOAUTH: the server wants a password; WRONGPASS: wrong password or user;
    // NOPERM: the ACL user may not run the command; "AUTH ... called without
    // any password configured": we sent a password the server does not use.
    if (message.starts_with("NOAUTH") || message.starts_with("WRONGPASS") || message.starts_with("NOPERM") ||
        (message.starts_with("ERR") && message.find("AUTH") != std::string_view::npos))
        throw AuthError(text);
    throw ServerError(text);
}

void Connection::shutdown() noexcept {
    if (ctx_ && ctx_->fd >= 0) ::shutdown(ctx_->fd, SHUT_RDWR);
}

}  // namespace fmi::detail::redis
