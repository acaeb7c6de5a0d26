// What the direct channel puts on a TCP connection, all in network byte order:
//
// 1. Once per connection, each side sends a HELLO (16 bytes + name):
//      [u32 magic "FMIH"][u16 version][u16 name bytes][u32 from][u32 to][name]
//    The connecting (higher) peer speaks first; the accepting peer checks the
//    communicator name and both ids, then answers with its own HELLO, which
//    the connector checks the same way. A mismatch closes the connection.
//
// 2. Then each message is a 24-byte header followed by its payload:
//      [u32 magic "FMID"][u8 version][u8 op kind][u16 zero][u64 seq][u64 payload bytes]
//    The receiver compares (op, seq) with the tag it expects and the payload
//    size with its buffer, before a single payload byte is accepted as valid.
#pragma once

#include "core/op_kind.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fmi::detail::direct {

inline constexpr std::uint32_t kHelloMagic = 0x464D4948;  // "FMIH"
inline constexpr std::uint32_t kDataMagic = 0x464D4944;   // "FMID"
inline constexpr std::uint8_t kWireVersion = 1;
inline constexpr std::size_t kHelloFixedBytes = 16;
inline constexpr std::size_t kDataHeaderBytes = 24;

struct Hello {
    std::string comm;
    std::uint32_t from = 0;
    std::uint32_t to = 0;
};

/// The fixed part and the name, ready to send (name at most 65535 bytes).
std::string encode_hello(const Hello& hello);

/// Decodes the fixed 16 bytes: returns the name length, or nullopt when
/// magic or version are wrong (a stranger or a newer peer).
struct HelloPrefix {
    std::uint32_t from;
    std::uint32_t to;
    std::uint16_t name_bytes;
};
std::optional<HelloPrefix> decode_hello_prefix(const std::uint8_t* fixed16);

struct DataHeader {
    std::uint32_t magic = kDataMagic;
    std::uint8_t version = kWireVersion;
    OpKind op = OpKind::send;
    std::uint64_t seq = 0;
    std::uint64_t bytes = 0;
};

using DataHeaderBytes = std::array<std::uint8_t, kDataHeaderBytes>;

DataHeaderBytes encode_data_header(OpKind op, std::uint64_t seq, std::uint64_t bytes);
DataHeader decode_data_header(const DataHeaderBytes& raw);

}  // namespace fmi::detail::direct
