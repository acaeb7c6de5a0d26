// The names of every Redis key of one communicator.
//
//   <prefix>/<comm>/abort                      failure markers of the job
//   <prefix>/<comm>/p/<src>/<dst>/<seq>        the seq-th message from src to dst
//   <prefix>/<comm>/c/<seq>/in/<dst>           messages of collective seq to dst
//   <prefix>/<comm>/c/<seq>/pub/<src>          what src publishes to all in seq
//   <prefix>/<comm>/c/<seq>/op                 what the peers called, and how many entered
//   <prefix>/<comm>/c/<seq>/wake               the wake-up after the last arrival
//   <prefix>/<comm>/c/<seq>/all                everyone's message (exchange)
//   <message key>/<src>/<i>                    chunk i of src's message there
//   <message key>/acks                         readers done with a published message
//
// The prefix and the communicator name are percent-encoded (every byte but
// [A-Za-z0-9._~-]), so neither contains '/', and the fixed structure after them
// makes every key name one and only one (communicator, operation, message):
// "App1" with peer 1 and "App" with peer 11 give .../App1/p/1/... and
// .../App/p/11/..., which differ. Everything of a communicator matches
// "<prefix>/<comm>/*" (for SCAN by operators; fmi itself never lists keys).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fmi::detail::redis {

/// Percent-encodes every byte outside [A-Za-z0-9._~-].
std::string escape_key_part(std::string_view text);

class KeySpace {
public:
    KeySpace(std::string_view prefix, std::string_view comm);

    /// "<prefix>/<comm>": every key of the communicator starts with it.
    const std::string& base() const noexcept { return base_; }
    std::string abort() const;
    std::string p2p(int src, int dst, std::uint64_t seq) const;
    std::string in(std::uint64_t seq, int dst) const;
    std::string pub(std::uint64_t seq, int src) const;
    std::string op(std::uint64_t seq) const;
    std::string wake(std::uint64_t seq) const;
    std::string all(std::uint64_t seq) const;
    static std::string chunk(const std::string& message_key, int src, std::uint64_t index);
    static std::string acks(const std::string& message_key);

private:
    std::string collective(std::uint64_t seq) const;
    std::string base_;
};

}  // namespace fmi::detail::redis
