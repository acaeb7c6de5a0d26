// The comparison point: a Redis channel built like the original FMI's. A
// message is a plain string key; whoever waits for it GETs the key, sleeps
// 1 ms when it is not there yet and tries again (a thousand GETs a second
// per waiting peer). Allreduce is the original's: every peer uploads, peer 0
// polls for each value and sums, uploads the result, the others poll for it.
#pragma once

#include "channels/redis/connection.hpp"

#include <cstdint>
#include <string>

namespace fmi::bench {

class PollingPeer {
public:
    PollingPeer(const RedisOptions& options, int rank, int size, std::string comm);

    void send(ConstBytes data, int dest, std::uint64_t seq);
    void recv(MutableBytes data, int src, std::uint64_t seq);
    /// Sum of one int64 per peer; `seq` numbers the operation.
    std::int64_t allreduce_sum(std::int64_t value, std::uint64_t seq);
    /// Removes what the run left (the original deleted its keys at exit).
    void cleanup(std::uint64_t operations);

private:
    std::string key(const std::string& what, std::uint64_t seq, int a, int b) const;
    /// GET until the key exists, sleeping 1 ms in between.
    std::string poll(const std::string& key);

    detail::redis::Connection conn_;
    int rank_, size_;
    std::string comm_;
};

}  // namespace fmi::bench
