#include "polling_baseline.hpp"

#include <chrono>
#include <cstring>
#include <thread>

namespace fmi::bench {

using detail::Deadline;
using detail::redis::Connection;
using namespace std::chrono_literals;

PollingPeer::PollingPeer(const RedisOptions& options, int rank, int size, std::string comm)
    : conn_(options), rank_(rank), size_(size), comm_(std::move(comm)) {}

std::string PollingPeer::key(const std::string& what, std::uint64_t seq, int a, int b) const {
    return "poll/" + comm_ + "/" + what + "/" + std::to_string(seq) + "/" + std::to_string(a) + "/" + std::to_string(b);
}

std::string PollingPeer::poll(const std::string& k) {
    Deadline deadline(60s);
    for (;;) {
        auto r = conn_.command({"GET", k}, "GET " + k, deadline);
        if (!r.is_nil()) return std::string(detail::redis::text_of(*r.get()));
        deadline.check("polling " + k);
        std::this_thread::sleep_for(1ms);
    }
}

void PollingPeer::send(ConstBytes data, int dest, std::uint64_t seq) {
    Deadline deadline(60s);
    conn_.command({"SET", key("p2p", seq, rank_, dest), detail::redis::Arg("", data), "EX", "600"}, "SET", deadline);
}

void PollingPeer::recv(MutableBytes data, int src, std::uint64_t seq) {
    std::string k = key("p2p", seq, src, rank_);
    std::string value = poll(k);
    std::memcpy(data.data(), value.data(), std::min(value.size(), data.size()));
    Deadline deadline(60s);
    conn_.command({"DEL", k}, "DEL", deadline);
}

std::int64_t PollingPeer::allreduce_sum(std::int64_t value, std::uint64_t seq) {
    Deadline deadline(60s);
    auto as_text = [](std::int64_t v) { return std::to_string(v); };
    std::string result = key("result", seq, 0, 0);
    if (rank_ != 0) {
        conn_.command({"SET", key("in", seq, rank_, 0), as_text(value), "EX", "600"}, "SET", deadline);
        return std::stoll(poll(result));
    }
    std::int64_t sum = value;
    for (int src = 1; src < size_; ++src) sum += std::stoll(poll(key("in", seq, src, 0)));
    conn_.command({"SET", result, as_text(sum), "EX", "600"}, "SET", deadline);
    return sum;
}

void PollingPeer::cleanup(std::uint64_t operations) {
    Deadline deadline(60s);
    for (std::uint64_t seq = 0; seq < operations; ++seq) {
        conn_.append({"DEL", key("result", seq, 0, 0)}, Connection::Use::check, "DEL");
        for (int src = 1; src < size_; ++src) conn_.append({"DEL", key("in", seq, src, 0)}, Connection::Use::check, "DEL");
    }
    conn_.sync(deadline);
}

}  // namespace fmi::bench
