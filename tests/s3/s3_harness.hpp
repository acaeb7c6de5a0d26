// Ranks as threads, each with its own S3 backend (own connections and
// counters), running one job against the test gateway.
#pragma once

#include "channels/s3/s3_backend.hpp"
#include "byte_views.hpp"
#include "rgw_fixture.hpp"

#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fmi::test {

using detail::Deadline;
using detail::OpContext;
using detail::OpKind;
using detail::s3::RequestCounts;
using detail::s3::S3Backend;

/// One rank: its backend and its sequence numbers (as the communicator
/// keeps them: one counter for collectives; for p2p one per destination and
/// one per source, so the n-th send to b matches b's n-th recv from us).
class Peer {
public:
    Peer(int rank, int size, const std::string& comm, const S3Options& options,
         std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000))
        : rank(rank), size(size), timeout(timeout),
          log(detail::LogLevel::error, comm + "/" + std::to_string(rank)),
          backend(detail::PeerIdentity{rank, size, comm}, options,
                  {options.access_key_id, options.secret_access_key, options.session_token}, log) {}

    OpContext collective(OpKind op) { return OpContext{op, collective_seq++, Deadline(timeout)}; }
    OpContext to(int dest) { return OpContext{OpKind::send, sent[dest]++, Deadline(timeout)}; }
    OpContext from(int src) { return OpContext{OpKind::send, received[src]++, Deadline(timeout)}; }
    RequestCounts counts() const { return backend.request_counts(); }

    const int rank, size;
    std::chrono::milliseconds timeout;
    detail::Logger log;
    S3Backend backend;

private:
    std::uint64_t collective_seq = 0;
    std::map<int, std::uint64_t> sent, received;  // messages to / from each peer
};

struct JobResult {
    std::vector<std::exception_ptr> errors;  ///< per rank; null when it succeeded
    bool ok() const {
        for (auto& e : errors)
            if (e) return false;
        return true;
    }
    /// "rank r: message" for every failure.
    std::string describe() const {
        std::string out;
        for (std::size_t r = 0; r < errors.size(); ++r) {
            if (!errors[r]) continue;
            try {
                std::rethrow_exception(errors[r]);
            } catch (const std::exception& e) {
                out += "rank " + std::to_string(r) + ": " + e.what() + "\n";
            }
        }
        return out;
    }
};

/// Runs body on n threads. A rank whose body throws aborts its backend so its
/// partners fail fast; the others finalize (when `finalize`).
inline JobResult run_job(int n, const std::string& comm, const S3Options& options,
                         const std::function<void(Peer&)>& body, bool finalize = true,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000)) {
    JobResult result;
    result.errors.resize(static_cast<std::size_t>(n));
    std::vector<std::thread> threads;
    for (int r = 0; r < n; ++r) {
        threads.emplace_back([&, r] {
            try {
                Peer peer(r, n, comm, options, timeout);
                try {
                    body(peer);
                    if (finalize) peer.backend.finalize();
                } catch (...) {
                    peer.backend.abort();
                    throw;
                }
            } catch (...) {
                result.errors[static_cast<std::size_t>(r)] = std::current_exception();
            }
        });
    }
    for (auto& t : threads) t.join();
    return result;
}

}  // namespace fmi::test
