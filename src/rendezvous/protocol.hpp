// The fmi-rendezvous wire protocol (docs/rendezvous.md is its specification).
//
// Every message is one frame:
//
//   [u32 length][u16 version][u16 type][payload: length - 4 bytes]
//
// integers in network byte order, `length` counting the bytes after itself.
// Strings are [u16 byte count][bytes]; an endpoint is [string host][u16 port].
// The 8-byte frame header keeps this layout in every version, so a server can
// always read a frame of a newer client and answer ERROR bad_version.
#pragma once

#include "rendezvous/socket.hpp"

#include <fmi/errors.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fmi::detail::rendezvous {

inline constexpr std::uint16_t kProtocolVersion = 1;
/// u32 length + u16 version + u16 type.
inline constexpr std::size_t kFrameHeaderBytes = 8;
/// Bytes of a frame counted by its length field besides the payload.
inline constexpr std::size_t kLengthCoveredHeaderBytes = 4;

/// Limits every server enforces whatever its options say.
inline constexpr std::size_t kMaxCommunicatorNameBytes = 255;
inline constexpr std::size_t kMaxHostBytes = 255;
inline constexpr std::size_t kMaxEndpointsPerPeer = 16;
inline constexpr std::size_t kMaxAuthBytes = 1024;

/// Frame types. Values 16..63 are reserved for NAT traversal and
/// authentication (issue 5) so they can be added without a protocol break;
/// a server that does not implement a type answers ERROR unsupported_type.
enum class MessageType : std::uint16_t {
    register_peer = 1,  ///< client -> server: join a communicator
    peers = 2,          ///< server -> client: every peer's endpoints
    error = 3,          ///< server -> client: refusal; the server then closes
    // reserved: hole-punching coordination
    punch_request = 16,
    punch_go = 17,
    punch_result = 18,
    // reserved: relay through the server when punching fails
    relay_open = 32,
    relay_data = 33,
    relay_close = 34,
    // reserved: challenge-response authentication
    auth_challenge = 48,
    auth_response = 49,
};

const char* to_string(MessageType type) noexcept;

/// Error codes carried by ERROR frames (stable: never renumbered).
enum class ErrorCode : std::uint16_t {
    malformed = 1,               ///< payload does not decode, or length field < 4
    bad_version = 2,             ///< frame version is not kProtocolVersion
    unsupported_type = 3,        ///< unknown, reserved or server-only frame type
    message_too_large = 4,       ///< frame larger than the server's max_message_bytes
    bad_name = 5,                ///< communicator name empty or too long
    bad_peer = 6,                ///< peer count 0, or peer id >= peer count
    count_mismatch = 7,          ///< peer count differs from earlier registrations
    duplicate_peer = 8,          ///< peer id already registered by a live client
    too_many_peers = 9,          ///< peer count above max_peers_per_communicator
    too_many_communicators = 10, ///< max_communicators incomplete ones already held
    too_many_clients = 11,       ///< max_clients connections already open
    expired = 12,                ///< registration older than registration_ttl
    auth_failed = 13,            ///< bad or missing authentication (issue 5)
    already_registered = 14,     ///< a second REGISTER on one connection
    idle = 15,                   ///< nothing received for idle_timeout
    shutting_down = 16,          ///< the server is stopping
};

/// "count_mismatch", ...; "unknown" for values not listed above.
const char* to_string(ErrorCode code) noexcept;

/// Malformed or refused input. Carries the code the server sends back.
class ProtocolError : public IoError {
public:
    ProtocolError(ErrorCode code, const std::string& what) : IoError(what), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

private:
    ErrorCode code_;
};

/// REGISTER: a peer joins communicator `comm` as `peer_id` of `peer_count`.
struct RegisterMessage {
    std::string comm;
    std::uint32_t peer_id = 0;
    std::uint32_t peer_count = 0;
    /// Where partners can reach this peer on its own network (listen sockets).
    std::vector<Endpoint> endpoints;
    /// Authentication field: empty in version 1 (issue 5 puts an HMAC here).
    std::string auth;

    friend bool operator==(const RegisterMessage&, const RegisterMessage&) = default;
};

/// RELAY_OPEN (client -> server): join the relayed stream from `from` to
/// `to` of communicator `comm`. The server answers with an empty RELAY_OPEN
/// once the partner (to -> from) has asked too, then copies bytes between
/// the two connections until either side closes.
struct RelayOpenMessage {
    std::string comm;
    std::uint32_t from = 0;
    std::uint32_t to = 0;
    /// HMAC-SHA256 of the message with an empty auth (auth.hpp); empty when
    /// the communicator has no secret.
    std::string auth;

    friend bool operator==(const RelayOpenMessage&, const RelayOpenMessage&) = default;
};

/// One peer in a PEERS answer.
struct PeerEntry {
    std::uint32_t id = 0;
    std::vector<Endpoint> private_endpoints;
    /// The peer's address and port as the server saw its connection (its
    /// NAT's public mapping when it is behind one).
    Endpoint public_endpoint;

    friend bool operator==(const PeerEntry&, const PeerEntry&) = default;
};

/// PEERS: sent to every peer once all `peer_count` peers registered.
struct PeersMessage {
    std::string comm;
    std::vector<PeerEntry> peers;  ///< sorted by id, ids 0..n-1

    friend bool operator==(const PeersMessage&, const PeersMessage&) = default;
};

/// ERROR: why the server refused; it closes the connection after sending it.
struct ErrorMessage {
    ErrorCode code = ErrorCode::malformed;
    std::string text;

    friend bool operator==(const ErrorMessage&, const ErrorMessage&) = default;
};

using Bytes = std::vector<std::uint8_t>;
using BytesView = std::span<const std::uint8_t>;

/// Whole frames (header + payload) ready to send.
Bytes encode(const RegisterMessage& message);
Bytes encode(const PeersMessage& message);
Bytes encode(const ErrorMessage& message);
Bytes encode(const RelayOpenMessage& message);
/// The server's "relay ready" answer: RELAY_OPEN with an empty payload.
Bytes encode_relay_ready();
/// A frame of any type with a raw payload (tests, future types).
Bytes encode_frame(std::uint16_t type, BytesView payload, std::uint16_t version = kProtocolVersion);

/// A complete frame found at the start of a byte stream.
struct FrameView {
    std::uint16_t type = 0;
    BytesView payload;
    std::size_t frame_bytes = 0;  ///< header + payload: how much to consume
};

/// Looks for one complete frame at the start of `stream`. Returns nullopt
/// when more bytes are needed. Throws ProtocolError as soon as the header
/// shows the frame is unacceptable: message_too_large (whole frame above
/// `max_frame_bytes`), malformed (length < 4) or bad_version.
std::optional<FrameView> parse_frame(BytesView stream, std::size_t max_frame_bytes);

/// Payload decoders: throw ProtocolError(malformed) on truncated input,
/// trailing bytes, or fields above the limits above.
RegisterMessage decode_register(BytesView payload);
PeersMessage decode_peers(BytesView payload);
ErrorMessage decode_error(BytesView payload);
RelayOpenMessage decode_relay_open(BytesView payload);

}  // namespace fmi::detail::rendezvous
