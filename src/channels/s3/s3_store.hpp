// The object-store channel over S3: what the S3 algorithms
// (src/collectives/s3) are written against. S3 cannot block, so
//   - a wait for ONE object polls it with GET (the GET that finds it is
//     also the read), sleeping first half of what recent waits of that kind
//     took (at most poll_max), since a poll that finds nothing is a request
//     paid for nothing, then poll_initial, 2x, 4x ... up to poll_max and at
//     most a quarter of the wait so far;
//   - a wait for MANY objects LISTs their common prefix once per round and
//     reports what appeared, so a root waiting for n-1 peers pays one LIST
//     per round instead of n-1 GETs (a root waiting for one polls by GET);
//   - every wait ends at the operation's deadline with a TimeoutError naming
//     the key(s), the elapsed and the allowed time. A wait that lasts long
//     (1 s, 2 s, 4 s, ... and at the deadline) LISTs the collective's prefix
//     and the end/ markers once to tell why: a partner in another operation
//     (MismatchError) or a partner that aborted or finished (PeerLostError).
// Cleanup: single-reader objects are deleted by their reader, objects read
// by all are deleted by their writer once a later collective proves every
// peer is past them; both in DeleteObjects batches of 1000 keys (or sooner,
// once 64 MiB wait for deletion: large payloads should not linger). At
// finalize, peer 0 waits for every peer's end/<peer>.fin (or .abort) and
// deletes what is left under the communicator's root (LIST + DeleteObjects).
// A peer that aborts and finds every other peer already ended does that
// sweep itself.
#pragma once

#include "channels/s3/key_space.hpp"
#include "channels/s3/s3_client.hpp"
#include "core/backend.hpp"
#include "core/logger.hpp"

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fmi::detail::s3 {

/// A contribution that a wait found.
struct Arrival {
    int peer;
    std::string key;
    std::uint64_t size;
    bool read = false;  ///< already read into its destination (a GET poll found it)
};

/// Where peer p's contribution is to be read (an empty span when only its
/// existence matters, as in a barrier).
using Destination = std::function<MutableBytes(int peer)>;

/// A read of an object known to exist.
struct PresentRead {
    std::string key;
    int peer;                  ///< its writer (named in errors)
    std::uint64_t object_size;
    std::uint64_t offset;
    MutableBytes into;
};

class S3Store {
public:
    S3Store(S3Client& client, KeySpace keys, int rank, int size, const S3Options& options, const Logger& log);

    const KeySpace& keys() const noexcept { return keys_; }
    S3Client& client() noexcept { return client_; }
    int rank() const noexcept { return rank_; }
    int size() const noexcept { return size_; }

    /// PutObject (multipart above the threshold).
    void put(const std::string& key, ConstBytes data, const OpContext& ctx);

    /// Publishes a report of `error` at `key`, where partners wait, so they
    /// fail at once with a matching error instead of timing out. Best effort.
    void put_error_marker(const std::string& key, const std::exception& error, const OpContext& ctx) noexcept;

    /// Waits until `key` (written by `writer`) exists and reads `into.size()`
    /// bytes at `offset`; the object must be exactly `object_size` bytes
    /// (else SizeMismatchError naming `writer`). `collective` selects the
    /// diagnosis of long waits. An error marker there is rethrown here.
    void read_when_present(const std::string& key, int writer, std::uint64_t object_size,
                           std::uint64_t offset, MutableBytes into, const OpContext& ctx, bool collective);

    /// Waits until the contribution in.<p> of every peer in `peers` exists;
    /// every one must be `bytes` long (else SizeMismatchError naming the
    /// peer). Calls `on_arrivals` with each round's new arrivals.
    ///   - One peer to wait for: polls its object with GET straight into
    ///     into(p) (the GET that finds it is the read; a GET costs a twelfth
    ///     of a LIST): the arrival has read = true.
    ///   - More: one LIST of the collective's prefix per round (checking
    ///     sizes in the listing; a key of another operation there is a
    ///     MismatchError); arrivals are unread, see read_arrivals.
    void collect(std::span<const int> peers, std::uint64_t bytes, const OpContext& ctx, const Destination& into,
                 const std::function<void(std::span<const Arrival>)>& on_arrivals);

    /// Reads the arrivals not read yet into into(peer), parallel_transfers
    /// small objects at a time (a large one is parallel inside).
    void read_arrivals(std::span<const Arrival> arrivals, const Destination& into, const OpContext& ctx);

    /// `key` (`bytes` long) has been read by its only reader: delete it in a
    /// later batch.
    void consumed(std::string key, std::uint64_t bytes);
    /// `key` (`bytes` long), written in collective `seq`, is read by every
    /// peer: delete it once a later collective shows everyone is past `seq`.
    void published(std::uint64_t seq, std::string key, std::uint64_t bytes);
    /// Every peer has entered collective `seq`, so every peer has finished all
    /// collectives before it.
    void everyone_entered(std::uint64_t seq);

    /// End of the job (see the file comment). Throws TimeoutError at peer 0
    /// when peers do not finish within finalize_timeout (their objects then
    /// stay for the lifecycle rule or fmi-cleanup).
    void finalize();
    /// Failure of this peer: stop waiting, tell partners (end/<rank>.abort).
    void abort() noexcept;

private:
    class Poller;
    /// Reads objects known to exist, several at a time.
    void read_present(std::span<const PresentRead> reads, const OpContext& ctx);
    /// Why a long wait may never end: throws MismatchError for a partner in
    /// another operation; returns a PeerLostError for a partner that aborted
    /// or (when awaited) finished. The caller looks once more for what it
    /// awaits before throwing it: a peer writes its objects before its end marker.
    std::optional<PeerLostError> diagnose(const OpContext& ctx, bool collective, std::span<const int> awaited);
    [[noreturn]] void throw_remote_error(const std::string& marker, const std::string& key, int writer);
    void flush_deletes(bool all);
    /// One LIST of end/: has every other peer finished or aborted?
    /// (missing_ends_ names those that have not.)
    bool everyone_ended(const Deadline& deadline);
    /// Deletes every object under the communicator's root.
    void sweep(const Deadline& deadline);

    S3Client& client_;
    KeySpace keys_;
    int rank_, size_;
    S3Options options_;
    const Logger& log_;

    struct Published {
        std::uint64_t seq;
        std::string key;
        std::uint64_t bytes;
    };
    std::vector<std::pair<std::string, std::uint64_t>> pending_deletes_;  ///< key, bytes
    std::uint64_t pending_delete_bytes_ = 0;
    std::deque<Published> published_;
    bool finalized_ = false;
    std::vector<int> missing_ends_;
    /// How long recent waits took (ms; 0 = none yet), per operation kind,
    /// for one object [0] or a collection [1], and per size class of the
    /// awaited objects (each class 16x the last): see Poller. Without the size
    /// class a job that alternates 16 MiB and 8-byte allreduces paid the big
    /// ones' 200 ms first pause on the small ones (measured: an 8-byte
    /// allreduce at 4 peers took 91 ms after 16 MiB sends, 35 ms alone).
    static constexpr std::size_t kSizeClasses = 8;
    std::array<std::array<std::array<double, kSizeClasses>, 2>, 16> learned_wait_ms_{};
    double* learned_wait(OpKind op, bool collection, std::uint64_t bytes) noexcept;

    // abort() may come from another thread: it wakes sleeping polls.
    std::mutex wake_mutex_;
    std::condition_variable wake_;
    std::atomic<bool> aborted_{false};
};

}  // namespace fmi::detail::s3
