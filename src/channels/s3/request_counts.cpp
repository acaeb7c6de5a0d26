#include "channels/s3/request_counts.hpp"

namespace fmi::detail::s3 {

RequestCounts RequestCounts::operator-(const RequestCounts& o) const noexcept {
    RequestCounts d;
    d.put = put - o.put;
    d.get = get - o.get;
    d.head = head - o.head;
    d.list = list - o.list;
    d.del = del - o.del;
    d.get_misses = get_misses - o.get_misses;
    d.list_incomplete = list_incomplete - o.list_incomplete;
    d.list_diagnostic = list_diagnostic - o.list_diagnostic;
    d.retries = retries - o.retries;
    d.bytes_sent = bytes_sent - o.bytes_sent;
    d.bytes_received = bytes_received - o.bytes_received;
    return d;
}

std::string RequestCounts::to_string() const {
    return "PUT " + std::to_string(put) + ", GET " + std::to_string(get) + " (" +
           std::to_string(get_misses) + " misses), HEAD " + std::to_string(head) + ", LIST " +
           std::to_string(list) + " (" + std::to_string(list_incomplete) + " incomplete, " +
           std::to_string(list_diagnostic) + " diagnostic), DELETE " + std::to_string(del) +
           ", retries " + std::to_string(retries);
}

void RequestCounters::count(RequestType type) noexcept {
    auto& c = type == RequestType::put    ? put_
              : type == RequestType::get  ? get_
              : type == RequestType::head ? head_
              : type == RequestType::list ? list_
                                          : del_;
    c.fetch_add(1, std::memory_order_relaxed);
}

RequestCounts RequestCounters::snapshot() const noexcept {
    RequestCounts s;
    s.put = put_.load(std::memory_order_relaxed);
    s.get = get_.load(std::memory_order_relaxed);
    s.head = head_.load(std::memory_order_relaxed);
    s.list = list_.load(std::memory_order_relaxed);
    s.del = del_.load(std::memory_order_relaxed);
    s.get_misses = get_misses_.load(std::memory_order_relaxed);
    s.list_incomplete = list_incomplete_.load(std::memory_order_relaxed);
    s.list_diagnostic = list_diagnostic_.load(std::memory_order_relaxed);
    s.retries = retries_.load(std::memory_order_relaxed);
    s.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
    s.bytes_received = bytes_received_.load(std::memory_order_relaxed);
    return s;
}

}  // namespace fmi::detail::s3
