// Printable names of the public enums.
#include <fmi/config.hpp>
#include <fmi/ops.hpp>

namespace fmi {

const char* to_string(Op op) noexcept {
    switch (op) {
        case Op::sum: return "sum";
        case Op::prod: return "prod";
        case Op::min: return "min";
        case Op::max: return "max";
        case Op::logical_and: return "logical_and";
        case Op::logical_or: return "logical_or";
        case Op::logical_xor: return "logical_xor";
        case Op::bit_and: return "bit_and";
        case Op::bit_or: return "bit_or";
        case Op::bit_xor: return "bit_xor";
    }
    return "unknown";
}

const char* to_string(Hint hint) noexcept {
    switch (hint) {
        case Hint::fast: return "fast";
        case Hint::cheap: return "cheap";
    }
    return "unknown";
}

const char* to_string(ChannelKind kind) noexcept {
    switch (kind) {
        case ChannelKind::direct: return "direct";
        case ChannelKind::redis: return "redis";
        case ChannelKind::s3: return "s3";
    }
    return "unknown";
}

}  // namespace fmi
