// HTTP/1.1 requests over libcurl, one easy handle per connection, owned by
// RAII wrappers. The S3 client above signs requests and interprets S3
// replies; this layer only moves bytes and reports transport failures as
// fmi errors naming the method and URL.
#pragma once

#include "channels/s3/sigv4.hpp"

#include <fmi/communicator.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fmi::detail::s3 {

struct HttpRequest {
    std::string method;  ///< GET, PUT, POST, HEAD, DELETE
    std::string url;     ///< fully encoded
    HeaderList headers;  ///< sent as given (the signer's output)
    ConstBytes body;     ///< request body (PUT, POST)
    /// When set, the body of a 2xx response goes straight here (no copy), and
    /// must have exactly this many bytes: a different Content-Length stops
    /// the transfer at once and sets HttpResponse::length_mismatch.
    std::optional<MutableBytes> receive_into;
    /// A 2xx response carrying this (lower-case) header goes to
    /// HttpResponse::body instead of receive_into (fmi's error markers).
    std::string divert_header;
};

struct HttpResponse {
    long status = 0;
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;                            ///< unless it went to receive_into
    bool body_in_target = false;
    bool length_mismatch = false;
    std::optional<std::uint64_t> content_length;
    std::uint64_t bytes_received = 0;

    const std::string* header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? nullptr : &it->second;
    }
};

/// Time limits of one request.
struct HttpLimits {
    std::chrono::milliseconds connect_timeout{5'000};
    /// The whole request, connection included (the smaller of the request
    /// timeout and what is left of the operation's deadline).
    std::chrono::milliseconds total_timeout{30'000};
    /// Set by abort(): stops transfers in flight within ~100 ms.
    const std::atomic<bool>* abort_flag = nullptr;
};

/// One libcurl easy handle; it keeps its connection open between requests.
/// Not thread-safe: one request at a time (ConnectionPool hands them out).
class HttpConnection {
public:
    HttpConnection();
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    /// Performs the request. Throws TimeoutError when the time limit passes,
    /// IoError for transport failures (connection refused, reset, DNS, TLS)
    /// and when aborted; HTTP error statuses are returned, not thrown.
    HttpResponse perform(const HttpRequest& request, const HttpLimits& limits);

private:
    struct CurlDeleter {
        void operator()(void* handle) const noexcept;
    };
    std::unique_ptr<void, CurlDeleter> curl_;
};

/// Idle connections for reuse by any thread; a Lease returns its connection
/// on destruction.
class ConnectionPool {
public:
    class Lease {
    public:
        Lease(ConnectionPool& pool, std::unique_ptr<HttpConnection> c) : pool_(&pool), c_(std::move(c)) {}
        Lease(Lease&& o) noexcept : pool_(o.pool_), c_(std::move(o.c_)) {}
        Lease& operator=(Lease&&) = delete;
        ~Lease() {
            if (c_) pool_->release(std::move(c_));
        }
        HttpConnection& operator*() { return *c_; }
        HttpConnection* operator->() { return c_.get(); }

    private:
        ConnectionPool* pool_;
        std::unique_ptr<HttpConnection> c_;
    };

    Lease acquire();

private:
    void release(std::unique_ptr<HttpConnection> c);
    std::mutex mutex_;
    std::vector<std::unique_ptr<HttpConnection>> idle_;
};

}  // namespace fmi::detail::s3
