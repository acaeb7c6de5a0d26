#include "channels/direct/wire.hpp"

#include <endian.h>

#include <cstring>

namespace fmi::detail::direct {

namespace {

template <class T>
void put(std::uint8_t* out, T value) {
    std::memcpy(out, &value, sizeof value);
}
template <class T>
T get(const std::uint8_t* in) {
    T value;
    std::memcpy(&value, in, sizeof value);
    return value;
}

}  // namespace

std::string encode_hello(const Hello& hello) {
    std::string out(kHelloFixedBytes + hello.comm.size(), '\0');
    auto* p = reinterpret_cast<std::uint8_t*>(out.data());
    put(p, htobe32(kHelloMagic));
    put(p + 4, htobe16(kWireVersion));
    put(p + 6, htobe16(static_cast<std::uint16_t>(hello.comm.size())));
    put(p + 8, htobe32(hello.from));
    put(p + 12, htobe32(hello.to));
    std::memcpy(p + kHelloFixedBytes, hello.comm.data(), hello.comm.size());
    return out;
}

std::optional<HelloPrefix> decode_hello_prefix(const std::uint8_t* p) {
    if (be32toh(get<std::uint32_t>(p)) != kHelloMagic) return std::nullopt;
    if (be16toh(get<std::uint16_t>(p + 4)) != kWireVersion) return std::nullopt;
    return HelloPrefix{be32toh(get<std::uint32_t>(p + 8)), be32toh(get<std::uint32_t>(p + 12)),
                       be16toh(get<std::uint16_t>(p + 6))};
}

DataHeaderBytes encode_data_header(OpKind op, std::uint64_t seq, std::uint64_t bytes) {
    DataHeaderBytes raw{};
    put(raw.data(), htobe32(kDataMagic));
    raw[4] = kWireVersion;
    raw[5] = static_cast<std::uint8_t>(op);
    put(raw.data() + 8, htobe64(seq));
    put(raw.data() + 16, htobe64(bytes));
    return raw;
}

DataHeader decode_data_header(const DataHeaderBytes& raw) {
    DataHeader h;
    h.magic = be32toh(get<std::uint32_t>(raw.data()));
    h.version = raw[4];
    h.op = static_cast<OpKind>(raw[5]);
    h.seq = be64toh(get<std::uint64_t>(raw.data() + 8));
    h.bytes = be64toh(get<std::uint64_t>(raw.data() + 16));
    return h;
}

}  // namespace fmi::detail::direct
