// Small RAII and helper layer over BSD sockets, shared by the rendezvous
// server, its client and the direct TCP channel. Every function that can fail
// throws a typed fmi error naming the address and the system error.
#pragma once

#include "core/deadline.hpp"

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fmi::detail {

/// A host (numeric IPv4/IPv6 text or a name) and a TCP port.
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;

    /// "1.2.3.4:80" or "[::1]:80".
    std::string to_string() const;
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/// Owns one file descriptor; closes it on destruction.
class UniqueFd {
public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    int release() noexcept {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

/// A resolved socket address.
struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;

    int family() const noexcept { return storage.ss_family; }
    const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
    Endpoint endpoint() const;
};

/// strerror_r as a std::string.
std::string errno_text(int err);

/// Throws IoError("<what>: <strerror(err)>").
[[noreturn]] void throw_system_error(const std::string& what, int err);

/// Resolves host:port for TCP (numeric hosts never touch DNS). Throws IoError
/// naming the endpoint when nothing resolves.
std::vector<SocketAddress> resolve(const Endpoint& endpoint);

/// True for "0.0.0.0", "::" and "" (listen on every interface).
bool is_wildcard_host(const std::string& host);

void set_nonblocking(int fd);
void set_nodelay(int fd);
/// SO_SNDBUF and SO_RCVBUF to `bytes` (0: leave the system default).
void set_buffer_sizes(int fd, std::size_t bytes);

/// Address of our side / the other side of a connected socket.
Endpoint local_endpoint(int fd);
Endpoint remote_endpoint(int fd);

/// A non-blocking listening TCP socket on host:port (port 0: chosen by the
/// OS). `buffer_bytes` is inherited by accepted sockets. Throws IoError.
/// `share_port` adds SO_REUSEPORT, so connecting sockets can bind the same
/// port (hole punching).
UniqueFd listen_tcp(const Endpoint& endpoint, int backlog, std::size_t buffer_bytes = 0, bool share_port = false);

/// Starts a non-blocking connect to `address`. Returns the socket; `error`
/// is 0 when connected at once, EINPROGRESS while pending, or the errno.
/// With `bind_to`, the socket first binds that local endpoint (wildcard host
/// allowed) with SO_REUSEADDR and SO_REUSEPORT.
UniqueFd start_connect(const SocketAddress& address, std::size_t buffer_bytes, int& error,
                       const Endpoint* bind_to = nullptr);

/// SO_ERROR of a socket whose non-blocking connect finished (0: connected).
int pending_socket_error(int fd);

/// Connects to `endpoint` before `deadline`, retrying refused connections
/// (the server may still be starting) with a short backoff. The socket is
/// returned non-blocking. Throws TimeoutError naming `what`, the endpoint,
/// the last error and elapsed versus allowed time; IoError for other errors.
UniqueFd connect_with_deadline(const Endpoint& endpoint, const Deadline& deadline, const std::string& what,
                               std::size_t buffer_bytes = 0, const Endpoint* bind_to = nullptr);

/// poll(2) on one descriptor until `events` or the deadline; retries EINTR.
/// Returns the revents (0 when the deadline passed first).
short poll_one(int fd, short events, const Deadline& deadline);

}  // namespace fmi::detail
