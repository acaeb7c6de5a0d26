#include "rendezvous/protocol.hpp"

#include <limits>

namespace fmi::detail::rendezvous {

const char* to_string(MessageType type) noexcept {
    switch (type) {
        case MessageType::register_peer: return "REGISTER";
        case MessageType::peers: return "PEERS";
        case MessageType::error: return "ERROR";
        case MessageType::punch_request: return "PUNCH_REQUEST";
        case MessageType::punch_go: return "PUNCH_GO";
        case MessageType::punch_result: return "PUNCH_RESULT";
        case MessageType::relay_open: return "RELAY_OPEN";
        case MessageType::relay_data: return "RELAY_DATA";
        case MessageType::relay_close: return "RELAY_CLOSE";
        case MessageType::auth_challenge: return "AUTH_CHALLENGE";
        case MessageType::auth_response: return "AUTH_RESPONSE";
    }
    return "unknown";
}

const char* to_string(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::malformed: return "malformed";
        case ErrorCode::bad_version: return "bad_version";
        case ErrorCode::unsupported_type: return "unsupported_type";
        case ErrorCode::message_too_large: return "message_too_large";
        case ErrorCode::bad_name: return "bad_name";
        case ErrorCode::bad_peer: return "bad_peer";
        case ErrorCode::count_mismatch: return "count_mismatch";
        case ErrorCode::duplicate_peer: return "duplicate_peer";
        case ErrorCode::too_many_peers: return "too_many_peers";
        case ErrorCode::too_many_communicators: return "too_many_communicators";
        case ErrorCode::too_many_clients: return "too_many_clients";
        case ErrorCode::expired: return "expired";
        case ErrorCode::auth_failed: return "auth_failed";
        case ErrorCode::already_registered: return "already_registered";
        case ErrorCode::idle: return "idle";
        case ErrorCode::shutting_down: return "shutting_down";
    }
    return "unknown";
}

namespace {

/// Appends big-endian integers and length-prefixed strings to a frame.
class Writer {
public:
    explicit Writer(MessageType type) {
        put_u32(0);  // length, patched by finish()
        put_u16(kProtocolVersion);
        put_u16(static_cast<std::uint16_t>(type));
    }
    void put_u16(std::uint16_t v) {
        bytes_.push_back(static_cast<std::uint8_t>(v >> 8));
        bytes_.push_back(static_cast<std::uint8_t>(v));
    }
    void put_u32(std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8) bytes_.push_back(static_cast<std::uint8_t>(v >> shift));
    }
    void put_string(const std::string& s, std::size_t limit, const char* field) {
        if (s.size() > limit)
            throw ProtocolError(ErrorCode::malformed, std::string("rendezvous: ") + field + " of " +
                                                          std::to_string(s.size()) + " bytes exceeds " +
                                                          std::to_string(limit));
        put_u16(static_cast<std::uint16_t>(s.size()));
        bytes_.insert(bytes_.end(), s.begin(), s.end());
    }
    void put_endpoint(const Endpoint& e) {
        put_string(e.host, kMaxHostBytes, "host");
        put_u16(e.port);
    }
    void put_endpoints(const std::vector<Endpoint>& endpoints) {
        if (endpoints.size() > kMaxEndpointsPerPeer)
            throw ProtocolError(ErrorCode::malformed, "rendezvous: " + std::to_string(endpoints.size()) +
                                                          " endpoints exceed " +
                                                          std::to_string(kMaxEndpointsPerPeer));
        put_u16(static_cast<std::uint16_t>(endpoints.size()));
        for (const Endpoint& e : endpoints) put_endpoint(e);
    }
    Bytes finish() && {
        const std::size_t length = bytes_.size() - 4;
        if (length > std::numeric_limits<std::uint32_t>::max())
            throw ProtocolError(ErrorCode::message_too_large, "rendezvous: frame above 4 GiB");
        for (int i = 0; i < 4; ++i) bytes_[i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
        return std::move(bytes_);
    }

private:
    Bytes bytes_;
};

/// Reads what Writer wrote, refusing to read past the end.
class Reader {
public:
    Reader(BytesView bytes, const char* message) : bytes_(bytes), message_(message) {}
    std::uint16_t u16() {
        need(2, "u16");
        std::uint16_t v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    std::uint32_t u32() {
        need(4, "u32");
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | bytes_[pos_ + i];
        pos_ += 4;
        return v;
    }
    std::string string(std::size_t limit, const char* field) {
        std::size_t n = u16();
        if (n > limit)
            fail(std::string(field) + " of " + std::to_string(n) + " bytes exceeds " + std::to_string(limit));
        need(n, field);
        std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
        pos_ += n;
        return s;
    }
    Endpoint endpoint() {
        Endpoint e;
        e.host = string(kMaxHostBytes, "host");
        e.port = u16();
        return e;
    }
    std::vector<Endpoint> endpoints() {
        std::size_t n = u16();
        if (n > kMaxEndpointsPerPeer)
            fail(std::to_string(n) + " endpoints exceed " + std::to_string(kMaxEndpointsPerPeer));
        std::vector<Endpoint> list;
        list.reserve(n);
        for (std::size_t i = 0; i < n; ++i) list.push_back(endpoint());
        return list;
    }
    std::size_t remaining() const { return bytes_.size() - pos_; }
    void expect_end() {
        if (remaining() != 0) fail(std::to_string(remaining()) + " trailing bytes");
    }
    [[noreturn]] void fail(const std::string& why) const {
        throw ProtocolError(ErrorCode::malformed, std::string("rendezvous: malformed ") + message_ + ": " + why);
    }

private:
    void need(std::size_t n, const char* field) const {
        if (remaining() < n)
            fail("truncated at " + std::string(field) + " (offset " + std::to_string(pos_) + ", need " +
                 std::to_string(n) + " bytes, have " + std::to_string(remaining()) + ")");
    }
    BytesView bytes_;
    const char* message_;
    std::size_t pos_ = 0;
};

}  // namespace

Bytes encode(const RegisterMessage& m) {
    Writer w(MessageType::register_peer);
    w.put_string(m.comm, kMaxCommunicatorNameBytes, "communicator name");
    w.put_u32(m.peer_id);
    w.put_u32(m.peer_count);
    w.put_endpoints(m.endpoints);
    w.put_string(m.auth, kMaxAuthBytes, "auth");
    return std::move(w).finish();
}

Bytes encode(const PeersMessage& m) {
    Writer w(MessageType::peers);
    w.put_string(m.comm, kMaxCommunicatorNameBytes, "communicator name");
    w.put_u32(static_cast<std::uint32_t>(m.peers.size()));
    for (const PeerEntry& p : m.peers) {
        w.put_u32(p.id);
        w.put_endpoints(p.private_endpoints);
        w.put_endpoint(p.public_endpoint);
    }
    return std::move(w).finish();
}

Bytes encode(const ErrorMessage& m) {
    Writer w(MessageType::error);
    w.put_u16(static_cast<std::uint16_t>(m.code));
    // Error texts are ours; cut rather than fail on a very long one.
    w.put_string(m.text.size() > 1024 ? m.text.substr(0, 1024) : m.text, 1024, "error text");
    return std::move(w).finish();
}

Bytes encode(const RelayOpenMessage& m) {
    Writer w(MessageType::relay_open);
    w.put_string(m.comm, kMaxCommunicatorNameBytes, "communicator name");
    w.put_u32(m.from);
    w.put_u32(m.to);
    w.put_string(m.auth, kMaxAuthBytes, "auth");
    return std::move(w).finish();
}

Bytes encode_relay_ready() { return encode_frame(static_cast<std::uint16_t>(MessageType::relay_open), {}); }

Bytes encode_frame(std::uint16_t type, BytesView payload, std::uint16_t version) {
    const std::size_t length = kLengthCoveredHeaderBytes + payload.size();
    Bytes bytes;
    bytes.reserve(kFrameHeaderBytes + payload.size());
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(length >> shift));
    bytes.push_back(static_cast<std::uint8_t>(version >> 8));
    bytes.push_back(static_cast<std::uint8_t>(version));
    bytes.push_back(static_cast<std::uint8_t>(type >> 8));
    bytes.push_back(static_cast<std::uint8_t>(type));
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return bytes;
}

std::optional<FrameView> parse_frame(BytesView stream, std::size_t max_frame_bytes) {
    if (stream.size() < 4) return std::nullopt;
    const std::uint32_t length = (std::uint32_t(stream[0]) << 24) | (std::uint32_t(stream[1]) << 16) |
                                 (std::uint32_t(stream[2]) << 8) | std::uint32_t(stream[3]);
    const std::size_t frame_bytes = std::size_t(length) + 4;
    // Judge the announced size before waiting for the body, so an oversized
    // frame is refused at once instead of being buffered.
    if (frame_bytes > max_frame_bytes)
        throw ProtocolError(ErrorCode::message_too_large,
                            "rendezvous: frame of " + std::to_string(frame_bytes) + " bytes exceeds the limit of " +
                                std::to_string(max_frame_bytes) + " bytes");
    if (length < kLengthCoveredHeaderBytes)
        throw ProtocolError(ErrorCode::malformed, "rendezvous: frame length " + std::to_string(length) +
                                                      " is shorter than its header (4)");
    if (stream.size() < kFrameHeaderBytes) return std::nullopt;
    const std::uint16_t version = static_cast<std::uint16_t>((stream[4] << 8) | stream[5]);
    if (version != kProtocolVersion)
        throw ProtocolError(ErrorCode::bad_version, "rendezvous: protocol version " + std::to_string(version) +
                                                        " is not supported (this side speaks " +
                                                        std::to_string(kProtocolVersion) + ")");
    if (stream.size() < frame_bytes) return std::nullopt;
    FrameView frame;
    frame.type = static_cast<std::uint16_t>((stream[6] << 8) | stream[7]);
    frame.payload = stream.subspan(kFrameHeaderBytes, frame_bytes - kFrameHeaderBytes);
    frame.frame_bytes = frame_bytes;
    return frame;
}

RegisterMessage decode_register(BytesView payload) {
    Reader r(payload, "REGISTER");
    RegisterMessage m;
    m.comm = r.string(kMaxCommunicatorNameBytes, "communicator name");
    m.peer_id = r.u32();
    m.peer_count = r.u32();
    m.endpoints = r.endpoints();
    m.auth = r.string(kMaxAuthBytes, "auth");
    r.expect_end();
    return m;
}

PeersMessage decode_peers(BytesView payload) {
    Reader r(payload, "PEERS");
    PeersMessage m;
    m.comm = r.string(kMaxCommunicatorNameBytes, "communicator name");
    const std::uint32_t count = r.u32();
    // Each entry takes at least 10 bytes (id, endpoint count, empty host,
    // port): refuse counts the payload cannot hold before reserving memory.
    if (count > r.remaining() / 10) r.fail("peer count " + std::to_string(count) + " exceeds the payload");
    m.peers.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        PeerEntry p;
        p.id = r.u32();
        p.private_endpoints = r.endpoints();
        p.public_endpoint = r.endpoint();
        m.peers.push_back(std::move(p));
    }
    r.expect_end();
    return m;
}

ErrorMessage decode_error(BytesView payload) {
    Reader r(payload, "ERROR");
    ErrorMessage m;
    m.code = static_cast<ErrorCode>(r.u16());
    m.text = r.string(1024, "error text");
    r.expect_end();
    return m;
}

RelayOpenMessage decode_relay_open(BytesView payload) {
    Reader r(payload, "RELAY_OPEN");
    RelayOpenMessage m;
    m.comm = r.string(kMaxCommunicatorNameBytes, "communicator name");
    m.from = r.u32();
    m.to = r.u32();
    m.auth = r.string(kMaxAuthBytes, "auth");
    r.expect_end();
    return m;
}

}  // namespace fmi::detail::rendezvous
