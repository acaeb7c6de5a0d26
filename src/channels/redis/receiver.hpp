// Receiving the messages of one operation: every receive path of the Redis
// algorithms runs through here.
//
// The caller names the messages it expects (stream, sender, size, and
// whether it consumes them or shares them with other readers) and how to
// take their payloads (a Sink). The receiver then loops: it queues reads of
// every chunk announced so far (straight into memory the sink chooses) and,
// when nothing more can be read yet, one XREAD BLOCK on the streams still
// missing entries, all in one write; it reads the replies, hands pieces to
// the sink and checks each header (operation, sequence number, size).
//
// A message of the wrong size is still read to its end (into a scratch
// buffer) and removed, as is everything else expected (the sink sees nothing
// more), so the peers stay in step; its SizeMismatchError is thrown once every
// expected message is in. A message of another operation is a MismatchError
// at once.
//
// Cleanup: consumed chunks are read with GETDEL and the streams of consumed
// messages deleted at the end; a shared message is acknowledged once read
// (its last reader deletes it).
#pragma once

#include "channels/redis/mailbox.hpp"

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fmi::detail::redis {

class Receiver {
public:
    struct Sink {
        /// May src's payload be handed over now? Strictly ordered folds take
        /// one peer at a time; the others' chunks wait in Redis.
        std::function<bool(int src)> may_deliver = [](int) { return true; };
        /// Where bytes [offset, offset + len) of src's payload are written.
        std::function<MutableBytes(int src, std::size_t offset, std::size_t len)> target;
        /// Called once they are there (piece is the target's bytes).
        std::function<void(int src, std::size_t offset, ConstBytes piece)> arrived = [](int, std::size_t, ConstBytes) {};
        /// Called once src's whole payload has arrived.
        std::function<void(int src)> complete = [](int) {};
    };

    /// A sink that writes src's payload to dest_of(src) (its exact size).
    static Sink into(std::function<MutableBytes(int src)> dest_of);

    Receiver(Mailbox& mb, const OpContext& ctx, std::string waiting_for);

    /// Expects one message of `bytes` bytes from `src` in stream `key`.
    /// `readers`: for Take::share, how many peers read it.
    void expect(const std::string& key, int src, std::size_t bytes, Take take, int readers = 0);
    /// Receives until every expected message has arrived.
    void run(const Sink& sink);

private:
    struct Slot {
        std::string key;
        int src = 0;
        std::size_t bytes = 0;
        Take take = Take::consume;
        int readers = 0;
        std::optional<Entry> message;  // the header entry, once read
        std::uint64_t announced = 0;   // chunks known to be written
        std::uint64_t requested = 0;   // chunk reads queued
        std::uint64_t delivered = 0;   // chunks read
        bool complete = false;
        bool drain = false;  // wrong size: read into scratch and drop
    };
    struct Request {
        std::size_t slot;
        std::uint64_t index;
    };

    void receive(const Sink& sink);
    bool needs_entries(const Slot& s) const;
    Slot& slot_of(const std::string& key, int src, const char* what);
    void accept(Entry&& entry);
    void finish(Slot& s, const Sink& sink);
    MutableBytes target(Slot& s, std::size_t offset, std::size_t len, const Sink& sink);

    Mailbox& mb_;
    const OpContext& ctx_;
    std::string waiting_for_;
    std::vector<Slot> slots_;
    std::vector<Cursor> cursors_;  // one per stream
    std::size_t remaining_ = 0;
    std::exception_ptr size_error_;
    std::vector<std::byte> drain_;  // scratch for a message of the wrong size
};

}  // namespace fmi::detail::redis
