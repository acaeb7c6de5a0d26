// Requests an S3 communicator made, by type. On S3 requests are the bill
// (PUT/POST/LIST and GET/HEAD are priced per thousand), so every algorithm
// documents its count (docs/algorithms/s3.md) and the tests assert them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace fmi::detail::s3 {

/// The request types S3 bills separately. Multipart uploads count their
/// create, part and complete calls as `put`; DeleteObjects (one request for
/// up to 1000 keys) and AbortMultipartUpload count as `del`.
enum class RequestType { put, get, head, list, del };

/// A snapshot of the counters.
struct RequestCounts {
    std::uint64_t put = 0;
    std::uint64_t get = 0;
    std::uint64_t head = 0;
    std::uint64_t list = 0;
    std::uint64_t del = 0;
    /// Of `get`: polls that found no object yet (HTTP 404).
    std::uint64_t get_misses = 0;
    /// Of `list`: rounds of a wait that did not yet see every awaited object.
    std::uint64_t list_incomplete = 0;
    /// Of `list`: listings made only to diagnose a long wait (a partner in
    /// another operation, or gone); at most log2(deadline / 1 s) + 2 per wait.
    std::uint64_t list_diagnostic = 0;
    /// Requests repeated after a 5xx or throttling reply (included above).
    std::uint64_t retries = 0;
    std::uint64_t bytes_sent = 0;      ///< request bodies
    std::uint64_t bytes_received = 0;  ///< response bodies

    std::uint64_t total() const noexcept { return put + get + head + list + del; }
    RequestCounts operator-(const RequestCounts& o) const noexcept;
    std::string to_string() const;
};

/// Thread-safe counters (parallel part transfers count concurrently).
class RequestCounters {
public:
    void count(RequestType type) noexcept;
    void add_get_miss() noexcept { get_misses_.fetch_add(1, std::memory_order_relaxed); }
    void add_list_incomplete() noexcept { list_incomplete_.fetch_add(1, std::memory_order_relaxed); }
    void add_list_diagnostic() noexcept { list_diagnostic_.fetch_add(1, std::memory_order_relaxed); }
    void add_retry() noexcept { retries_.fetch_add(1, std::memory_order_relaxed); }
    void add_bytes(std::uint64_t sent, std::uint64_t received) noexcept {
        bytes_sent_.fetch_add(sent, std::memory_order_relaxed);
        bytes_received_.fetch_add(received, std::memory_order_relaxed);
    }
    RequestCounts snapshot() const noexcept;

private:
    std::atomic<std::uint64_t> put_{0}, get_{0}, head_{0}, list_{0}, del_{0};
    std::atomic<std::uint64_t> get_misses_{0}, list_incomplete_{0}, list_diagnostic_{0}, retries_{0};
    std::atomic<std::uint64_t> bytes_sent_{0}, bytes_received_{0};
};

}  // namespace fmi::detail::s3
