#include "channels/s3/key_space.hpp"

#include <fmi/errors.hpp>

#include <cctype>
#include <charconv>

namespace fmi::detail::s3 {
namespace {

std::optional<int> parse_peer(std::string_view digits) {
    int value = -1;
    if (digits.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value < 0) return std::nullopt;
    return value;
}

}  // namespace

std::string KeySpace::encode_name(std::string_view comm) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : comm) {
        auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '_') {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

KeySpace::KeySpace(std::string_view key_prefix, std::string_view comm) {
    if (comm.empty()) throw UsageError("S3 channel: the communicator name must not be empty");
    while (!key_prefix.empty() && key_prefix.back() == '/') key_prefix.remove_suffix(1);
    if (!key_prefix.empty()) root_ = std::string(key_prefix) + "/";
    root_ += encode_name(comm) + "/";
}

std::string KeySpace::collective_prefix(std::uint64_t seq) const {
    return root_ + "c/" + std::to_string(seq) + "/";
}

std::string KeySpace::contribution(std::uint64_t seq, OpKind op, int peer) const {
    return collective_prefix(seq) + to_string(op) + "/in." + std::to_string(peer);
}

std::string KeySpace::publication(std::uint64_t seq, OpKind op, int peer) const {
    return collective_prefix(seq) + to_string(op) + "/out." + std::to_string(peer);
}

std::string KeySpace::message(int src, int dst, std::uint64_t seq) const {
    return root_ + "send/" + std::to_string(src) + "-" + std::to_string(dst) + "/" + std::to_string(seq);
}

std::optional<KeySpace::CollectiveKey> KeySpace::parse_collective(std::string_view relative) {
    auto slash = relative.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    CollectiveKey k;
    k.op = std::string(relative.substr(0, slash));
    std::string_view name = relative.substr(slash + 1);
    if (name.rfind("in.", 0) == 0) {
        k.contribution = true;
        name.remove_prefix(3);
    } else if (name.rfind("out.", 0) == 0) {
        name.remove_prefix(4);
    } else {
        return std::nullopt;
    }
    auto peer = parse_peer(name);
    if (!peer) return std::nullopt;
    k.peer = *peer;
    return k;
}

std::optional<KeySpace::EndKey> KeySpace::parse_end(std::string_view relative) {
    auto dot = relative.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    auto peer = parse_peer(relative.substr(0, dot));
    std::string_view kind = relative.substr(dot + 1);
    if (!peer || (kind != "fin" && kind != "abort")) return std::nullopt;
    return EndKey{*peer, kind == "abort"};
}

}  // namespace fmi::detail::s3
