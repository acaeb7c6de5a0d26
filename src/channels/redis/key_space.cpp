#include "channels/redis/key_space.hpp"

namespace fmi::detail::redis {

std::string escape_key_part(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                     c == '_' || c == '~' || c == '-';
        if (plain) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

KeySpace::KeySpace(std::string_view prefix, std::string_view comm)
    : base_(escape_key_part(prefix) + "/" + escape_key_part(comm)) {}

std::string KeySpace::abort() const { return base_ + "/abort"; }

std::string KeySpace::p2p(int src, int dst, std::uint64_t seq) const {
    return base_ + "/p/" + std::to_string(src) + "/" + std::to_string(dst) + "/" + std::to_string(seq);
}

std::string KeySpace::collective(std::uint64_t seq) const { return base_ + "/c/" + std::to_string(seq); }

std::string KeySpace::in(std::uint64_t seq, int dst) const { return collective(seq) + "/in/" + std::to_string(dst); }

std::string KeySpace::pub(std::uint64_t seq, int src) const { return collective(seq) + "/pub/" + std::to_string(src); }

std::string KeySpace::op(std::uint64_t seq) const { return collective(seq) + "/op"; }

std::string KeySpace::wake(std::uint64_t seq) const { return collective(seq) + "/wake"; }

std::string KeySpace::all(std::uint64_t seq) const { return collective(seq) + "/all"; }

std::string KeySpace::chunk(const std::string& message_key, int src, std::uint64_t index) {
    return message_key + "/" + std::to_string(src) + "/" + std::to_string(index);
}

std::string KeySpace::acks(const std::string& message_key) { return message_key + "/acks"; }

}  // namespace fmi::detail::redis
