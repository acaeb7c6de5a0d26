#include "rendezvous/socket.hpp"

#include <fmi/errors.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace fmi::detail {

std::string Endpoint::to_string() const {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);  // close(2) always releases the descriptor, even on EINTR
    fd_ = fd;
}

std::string errno_text(int err) {
    char buffer[256];
    // GNU strerror_r returns the message (possibly a static string).
    const char* text = strerror_r(err, buffer, sizeof buffer);
    return text;
}

void throw_system_error(const std::string& what, int err) {
    throw IoError(what + ": " + errno_text(err));
}

static Endpoint endpoint_of(const sockaddr* address) {
    char host[INET6_ADDRSTRLEN] = {};
    if (address->sa_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(address);
        ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        return {host, ntohs(in->sin_port)};
    }
    if (address->sa_family == AF_INET6) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        return {host, ntohs(in6->sin6_port)};
    }
    return {"<unknown address family " + std::to_string(address->sa_family) + ">", 0};
}

Endpoint SocketAddress::endpoint() const { return endpoint_of(get()); }

std::vector<SocketAddress> resolve(const Endpoint& endpoint) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
    const std::string port = std::to_string(endpoint.port);
    const char* host = endpoint.host.empty() ? nullptr : endpoint.host.c_str();
    if (host == nullptr) hints.ai_flags |= AI_PASSIVE;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(host, port.c_str(), &hints, &found);
    if (rc == EAI_BADFLAGS || (rc != 0 && (hints.ai_flags & AI_ADDRCONFIG))) {
        // Loopback-only namespaces have no "configured" address: retry without it.
        hints.ai_flags &= ~AI_ADDRCONFIG;
        rc = ::getaddrinfo(host, port.c_str(), &hints, &found);
    }
    if (rc != 0) {
        std::string why = rc == EAI_SYSTEM ? errno_text(errno) : ::gai_strerror(rc);
        throw IoError("cannot resolve " + endpoint.to_string() + ": " + why);
    }
    std::vector<SocketAddress> addresses;
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
        SocketAddress address;
        std::memcpy(&address.storage, ai->ai_addr, ai->ai_addrlen);
        address.length = ai->ai_addrlen;
        addresses.push_back(address);
    }
    ::freeaddrinfo(found);
    if (addresses.empty()) throw IoError("cannot resolve " + endpoint.to_string() + ": no TCP address");
    return addresses;
}

bool is_wildcard_host(const std::string& host) { return host.empty() || host == "0.0.0.0" || host == "::"; }

void set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL, 0);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_system_error("fcntl(O_NONBLOCK)", errno);
}

void set_nodelay(int fd) {
    int one = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        throw_system_error("setsockopt(TCP_NODELAY)", errno);
}

void set_buffer_sizes(int fd, std::size_t bytes) {
    if (bytes == 0) return;
    int value = static_cast<int>(std::min<std::size_t>(bytes, 1u << 30));
    // The kernel caps these at net.core.{w,r}mem_max; a smaller buffer than
    // asked is not an error, so failures here are ignored on purpose.
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, sizeof value);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, sizeof value);
}

Endpoint local_endpoint(int fd) {
    SocketAddress address;
    address.length = sizeof address.storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address.storage), &address.length) < 0)
        throw_system_error("getsockname", errno);
    return address.endpoint();
}

Endpoint remote_endpoint(int fd) {
    SocketAddress address;
    address.length = sizeof address.storage;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address.storage), &address.length) < 0)
        throw_system_error("getpeername", errno);
    return address.endpoint();
}

UniqueFd listen_tcp(const Endpoint& endpoint, int backlog, std::size_t buffer_bytes, bool share_port) {
    int last_error = 0;
    for (const SocketAddress& address : resolve(endpoint)) {
        UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd) {
            last_error = errno;
            continue;
        }
        int one = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (share_port) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        set_buffer_sizes(fd.get(), buffer_bytes);
        if (::bind(fd.get(), address.get(), address.length) < 0 || ::listen(fd.get(), backlog) < 0) {
            last_error = errno;
            continue;
        }
        return fd;
    }
    throw_system_error("cannot listen on " + endpoint.to_string(), last_error);
}

UniqueFd start_connect(const SocketAddress& address, std::size_t buffer_bytes, int& error,
                       const Endpoint* bind_to) {
    UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        error = errno;
        return fd;
    }
    if (bind_to) {
        // The port this peer listens on: sharing it (REUSEADDR + REUSEPORT on
        // every socket) makes outgoing SYNs leave from it, which is what TCP
        // hole punching needs.
        int one = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        Endpoint local = *bind_to;
        if (is_wildcard_host(local.host)) local.host = address.family() == AF_INET6 ? "::" : "0.0.0.0";
        const SocketAddress bound = resolve(local).front();
        if (::bind(fd.get(), bound.get(), bound.length) < 0) {
            error = errno;
            return fd;
        }
    }
    // Buffer sizes must be set before connect to affect the window scale.
    set_buffer_sizes(fd.get(), buffer_bytes);
    int rc;
    do rc = ::connect(fd.get(), address.get(), address.length);
    while (rc < 0 && errno == EINTR);
    error = rc == 0 ? 0 : errno;
    return fd;
}

int pending_socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) return errno;
    return error;
}

short poll_one(int fd, short events, const Deadline& deadline) {
    pollfd p{fd, events, 0};
    for (;;) {
        int rc = ::poll(&p, 1, deadline.poll_timeout_ms());
        if (rc > 0) return p.revents;
        if (rc == 0) {
            if (deadline.expired()) return 0;
            continue;  // rounding: woke a little early
        }
        if (errno != EINTR) throw_system_error("poll", errno);
    }
}

UniqueFd connect_with_deadline(const Endpoint& endpoint, const Deadline& deadline, const std::string& what,
                               std::size_t buffer_bytes, const Endpoint* bind_to) {
    const std::vector<SocketAddress> addresses = resolve(endpoint);
    std::chrono::milliseconds backoff{5};
    std::string last_error = "no attempt made";
    for (;;) {
        bool refused_only = true;
        for (const SocketAddress& address : addresses) {
            int error = 0;
            UniqueFd fd = start_connect(address, buffer_bytes, error, bind_to);
            if (error == EINPROGRESS) {
                short revents = poll_one(fd.get(), POLLOUT, deadline);
                error = revents == 0 ? ETIMEDOUT : pending_socket_error(fd.get());
            }
            if (error == 0) return fd;
            last_error = errno_text(error);
            // A refused connection means nobody listens yet: worth retrying.
            // A timeout is only retried while time is left (loop condition).
            // EADDRINUSE/EADDRNOTAVAIL: our shared port's previous connection
            // to this server is still closing.
            if (error != ECONNREFUSED && error != ETIMEDOUT && error != EADDRINUSE && error != EADDRNOTAVAIL)
                refused_only = false;
        }
        if (!refused_only)
            throw IoError(what + ": cannot connect to " + endpoint.to_string() + ": " + last_error + " (after " +
                          std::to_string(deadline.elapsed().count()) + " ms of " +
                          std::to_string(deadline.allowed().count()) + " ms allowed)");
        if (deadline.expired())
            deadline.throw_timeout(what + ": connecting to " + endpoint.to_string() + " (last error: " +
                                   last_error + ")");
        std::this_thread::sleep_until(std::min(Deadline::clock::now() + backoff, deadline.end()));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(200));
    }
}

}  // namespace fmi::detail
