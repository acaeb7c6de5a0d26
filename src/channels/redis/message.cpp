#include "channels/redis/message.hpp"

#include <fmi/errors.hpp>

namespace fmi::detail::redis {

namespace {

constexpr char kMagic[4] = {'F', 'M', 'I', 'R'};
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kFlagChunked = 1;

void put(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get(std::string_view in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(in[at + i])) << (8 * i);
    return v;
}

}  // namespace

// Layout: magic[4] version[1] op[1] flags[1] pad[1] src[4] pad[4] seq[8]
//         total_bytes[8] chunk_bytes[8]
std::string encode_header(const Header& h) {
    std::string out(kMagic, 4);
    out.reserve(kHeaderBytes);
    put(out, kVersion, 1);
    put(out, static_cast<std::uint8_t>(h.op), 1);
    put(out, h.chunked() ? kFlagChunked : 0, 1);
    put(out, 0, 1);
    put(out, static_cast<std::uint32_t>(h.src), 4);
    put(out, 0, 4);
    put(out, h.seq, 8);
    put(out, h.total_bytes, 8);
    put(out, h.chunk_bytes, 8);
    return out;
}

Header decode_header(std::string_view entry, const std::string& key) {
    if (entry.size() < kHeaderBytes || entry.substr(0, 4) != std::string_view(kMagic, 4) ||
        get(entry, 4, 1) != kVersion)
        throw IoError("redis: key " + key + " holds an entry that is not an fmi message (" +
                      std::to_string(entry.size()) + " bytes)");
    Header h;
    h.op = static_cast<OpKind>(get(entry, 5, 1));
    bool chunked = (get(entry, 6, 1) & kFlagChunked) != 0;
    h.src = static_cast<int>(static_cast<std::int32_t>(get(entry, 8, 4)));
    h.seq = get(entry, 16, 8);
    h.total_bytes = get(entry, 24, 8);
    h.chunk_bytes = get(entry, 32, 8);
    std::size_t inline_bytes = entry.size() - kHeaderBytes;
    if (chunked != (h.chunk_bytes != 0) || (!chunked && inline_bytes != h.total_bytes) ||
        (chunked && inline_bytes != 0))
        throw IoError("redis: key " + key + " holds a malformed fmi message (declares " +
                      std::to_string(h.total_bytes) + " bytes, carries " + std::to_string(inline_bytes) + ")");
    return h;
}

}  // namespace fmi::detail::redis
