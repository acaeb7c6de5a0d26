// Authentication of rendezvous requests with the communicator's shared
// secret: the client puts HMAC-SHA256(secret, frame with an empty auth field)
// into the auth field; the server recomputes it and compares in constant
// time. A stranger without the secret can neither register (and so learn the
// endpoints of a communicator or take a peer id), nor open a relay.
#pragma once

#include "rendezvous/protocol.hpp"

#include <string>
#include <string_view>

namespace fmi::detail::rendezvous {

/// HMAC-SHA256 of `message` under `key`: 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view message);

/// 32 raw bytes: HMAC-SHA256 over encode(message) with `auth` emptied.
std::string registration_mac(std::string_view secret, const RegisterMessage& message);
std::string relay_mac(std::string_view secret, const RelayOpenMessage& message);

/// Constant-time comparison; false when the sizes differ.
bool macs_equal(std::string_view expected, std::string_view presented) noexcept;

}  // namespace fmi::detail::rendezvous
