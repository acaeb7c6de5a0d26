// The kind of every operation, carried in every message and key so that peers
// calling different operations get a MismatchError instead of garbage.
#pragma once

#include <cstdint>

namespace fmi::detail {

enum class OpKind : std::uint8_t {
    send = 1,  // point to point (send/recv pairs share this kind)
    bcast = 2,
    barrier = 3,
    gather = 4,
    scatter = 5,
    allgather = 6,
    reduce = 7,
    allreduce = 8,
    scan = 9,
};

inline const char* to_string(OpKind k) noexcept {
    switch (k) {
        case OpKind::send: return "send";
        case OpKind::bcast: return "bcast";
        case OpKind::barrier: return "barrier";
        case OpKind::gather: return "gather";
        case OpKind::scatter: return "scatter";
        case OpKind::allgather: return "allgather";
        case OpKind::reduce: return "reduce";
        case OpKind::allreduce: return "allreduce";
        case OpKind::scan: return "scan";
    }
    return "unknown";
}

}  // namespace fmi::detail
