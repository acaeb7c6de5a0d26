// The header every message of the Redis channel starts with: what operation
// and sequence number it belongs to, who sent it, and how its payload is laid
// out. It is 40 bytes, little-endian, at the front of the stream entry; small
// payloads follow it in the same entry, large ones are in chunk keys.
#pragma once

#include "core/op_kind.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fmi::detail::redis {

struct Header {
    OpKind op = OpKind::send;
    int src = 0;
    std::uint64_t seq = 0;
    std::uint64_t total_bytes = 0;  ///< payload size
    /// 0: the payload follows the header in the entry; otherwise it is in
    /// ceil(total_bytes / chunk_bytes) chunk keys of this size (the last shorter).
    std::uint64_t chunk_bytes = 0;

    bool chunked() const noexcept { return chunk_bytes != 0; }
    std::uint64_t chunk_count() const noexcept {
        return chunked() ? (total_bytes + chunk_bytes - 1) / chunk_bytes : 0;
    }
};

inline constexpr std::size_t kHeaderBytes = 40;

/// The 40 header bytes.
std::string encode_header(const Header& h);
/// Parses the header at the front of `entry`; throws IoError naming `key` when
/// the entry is not an fmi message (wrong magic, version or length).
Header decode_header(std::string_view entry, const std::string& key);

}  // namespace fmi::detail::redis
