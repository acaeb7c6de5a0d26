// The names of a communicator's objects. Everything lives under one root,
//   <key_prefix>/<communicator, percent-encoded>/
// so the communicator's objects are one prefix LIST away and two
// communicators never share a key: the name is encoded injectively (every
// byte but [A-Za-z0-9_-] becomes %XX) and ends at a '/', so "App1" -> "App1/"
// and "App" -> "App/" are disjoint prefixes.
//
//   c/<seq>/<op>/in.<peer>       a peer's contribution to collective <seq>
//   c/<seq>/<op>/out.<peer>      what <peer> publishes to all in collective <seq>
//   send/<src>-<dst>/<seq>       the <seq>-th message from src to dst
//   end/<peer>.fin               <peer> finished the job (finalize)
//   end/<peer>.abort             <peer> failed (abort)
//
// Every collective key carries the op kind next to its sequence number, so
// a LIST of c/<seq>/ shows at once when a partner is in another operation.
#pragma once

#include "core/op_kind.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fmi::detail::s3 {

class KeySpace {
public:
    /// Throws UsageError for an empty communicator name.
    KeySpace(std::string_view key_prefix, std::string_view comm);

    /// "<prefix>/<encoded comm>/": every object of the communicator.
    const std::string& root() const noexcept { return root_; }
    /// "<root>c/<seq>/": every object of collective <seq>.
    std::string collective_prefix(std::uint64_t seq) const;
    std::string contribution(std::uint64_t seq, OpKind op, int peer) const;
    std::string publication(std::uint64_t seq, OpKind op, int peer) const;
    std::string message(int src, int dst, std::uint64_t seq) const;
    std::string end_prefix() const { return root_ + "end/"; }
    std::string finished(int peer) const { return end_prefix() + std::to_string(peer) + ".fin"; }
    std::string aborted(int peer) const { return end_prefix() + std::to_string(peer) + ".abort"; }

    /// The injective encoding of a communicator name.
    static std::string encode_name(std::string_view comm);

    /// A key under collective_prefix(seq), taken apart.
    struct CollectiveKey {
        std::string op;  ///< "bcast", "allreduce", ...
        bool contribution = false;  ///< in.<peer> (else out.<peer>)
        int peer = -1;
    };
    /// Parses the part after collective_prefix(seq); nullopt if malformed.
    static std::optional<CollectiveKey> parse_collective(std::string_view relative);

    /// A key under end_prefix(): the peer and whether it aborted (else finished).
    struct EndKey {
        int peer = -1;
        bool aborted = false;
    };
    static std::optional<EndKey> parse_end(std::string_view relative);

private:
    std::string root_;
};

}  // namespace fmi::detail::s3
