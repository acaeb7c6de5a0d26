// An in-process PeerChannel for unit tests: the peers of a communicator are
// threads of one process, linked by one FIFO queue per ordered pair.
//
// It checks what a real channel checks: a message with another tag is a
// MismatchError, one of another size a SizeMismatchError naming both sizes,
// every wait ends at its deadline with a TimeoutError, and abort() closes the
// peer's queues so partners blocked on it fail at once with PeerLostError.
//
// Like a socket, a queue holds only `capacity_bytes` before send() blocks
// until the receiver drains it (a message larger than that waits until it
// is received), so an algorithm that would deadlock on full socket buffers
// (two peers both in a blocking send of a large message) times out here too.
// sendrecv() queues its message first, then receives, then waits for its
// send, as a full-duplex channel does.
#pragma once

#include "channels/peer_channel.hpp"

#include <fmi/errors.hpp>

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fmi::test {

using detail::Deadline;
using detail::MessageTag;
using detail::PeerChannel;

inline std::string describe(MessageTag tag) {
    return std::string(detail::to_string(tag.op)) + " #" + std::to_string(tag.seq);
}

/// The shared state of one in-process communicator: P x P queues.
class InprocWorld : public std::enable_shared_from_this<InprocWorld> {
public:
    static std::shared_ptr<InprocWorld> create(int size, std::size_t capacity_bytes = 64u << 10) {
        return std::shared_ptr<InprocWorld>(new InprocWorld(size, capacity_bytes));
    }

    int size() const noexcept { return size_; }

    /// The channel of peer `rank` (one per peer; the world outlives none of them).
    std::unique_ptr<PeerChannel> channel(int rank);

    /// Payload bytes and messages sent so far by all peers (to check the
    /// algorithms' documented costs).
    std::uint64_t bytes_sent() const {
        std::lock_guard lock(mutex_);
        return bytes_sent_;
    }
    std::uint64_t messages_sent() const {
        std::lock_guard lock(mutex_);
        return messages_sent_;
    }

private:
    friend class InprocChannel;

    struct Message {
        MessageTag tag;
        std::vector<std::byte> bytes;
    };
    struct Queue {
        std::deque<Message> messages;
        std::size_t queued_bytes = 0;
        std::uint64_t pushed = 0, popped = 0;
        bool closed = false;
        std::condition_variable changed;  // a message was pushed or popped, or the queue closed
        // Buffers of received messages, reused by later sends: fresh pages
        // cost ~14 us per 4 KiB here, which would dominate large-message tests.
        std::vector<std::vector<std::byte>> spare;
    };

    InprocWorld(int size, std::size_t capacity_bytes)
        : size_(size), capacity_(capacity_bytes), queues_(static_cast<std::size_t>(size) * size) {}

    Queue& queue(int from, int to) { return queues_[static_cast<std::size_t>(from) * size_ + to]; }

    int size_;
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::vector<Queue> queues_;
    std::uint64_t bytes_sent_ = 0, messages_sent_ = 0;
};

class InprocChannel final : public PeerChannel {
public:
    InprocChannel(std::shared_ptr<InprocWorld> world, int rank) : world_(std::move(world)), rank_(rank) {}

    std::string_view name() const override { return "inproc"; }
    int rank() const noexcept override { return rank_; }
    int size() const noexcept override { return world_->size(); }

    void send(int peer, MessageTag tag, ConstBytes data, const Deadline& deadline) override {
        std::unique_lock lock(world_->mutex_);
        std::uint64_t id = push(lock, peer, tag, data);
        await_sent(lock, peer, tag, id, deadline);
    }

    void recv(int peer, MessageTag tag, MutableBytes data, const Deadline& deadline) override {
        std::unique_lock lock(world_->mutex_);
        pop(lock, peer, tag, data, deadline);
    }

    void sendrecv(int dest, ConstBytes send_data, int src, MutableBytes recv_data, MessageTag tag,
                  const Deadline& deadline) override {
        std::unique_lock lock(world_->mutex_);
        std::uint64_t id = push(lock, dest, tag, send_data);
        pop(lock, src, tag, recv_data, deadline);
        await_sent(lock, dest, tag, id, deadline);
    }

    void abort() noexcept override {
        std::lock_guard lock(world_->mutex_);
        aborted_ = true;
        for (int other = 0; other < world_->size(); ++other) {
            for (auto* q : {&world_->queue(rank_, other), &world_->queue(other, rank_)}) {
                q->closed = true;
                q->changed.notify_all();
            }
        }
    }

private:
    std::string where(const char* verb, int peer, MessageTag tag) const {
        return std::string("inproc peer ") + std::to_string(rank_) + " " + verb + " peer " + std::to_string(peer) +
               " (" + describe(tag) + ")";
    }

    void check(int peer, const char* verb, MessageTag tag) const {
        if (peer < 0 || peer >= world_->size() || peer == rank_)
            throw UsageError(where(verb, peer, tag) + ": not another peer");
        if (aborted_) throw IoError(where(verb, peer, tag) + ": this channel was aborted");
    }

    std::uint64_t push(std::unique_lock<std::mutex>&, int peer, MessageTag tag, ConstBytes data) {
        check(peer, "send to", tag);
        auto& q = world_->queue(rank_, peer);
        if (q.closed) throw PeerLostError(where("send to", peer, tag) + ": the peer aborted", peer);
        std::vector<std::byte> bytes;
        if (!q.spare.empty()) {
            bytes = std::move(q.spare.back());
            q.spare.pop_back();
        }
        bytes.assign(data.begin(), data.end());
        q.messages.push_back({tag, std::move(bytes)});
        q.queued_bytes += data.size();
        world_->bytes_sent_ += data.size();
        world_->messages_sent_ += 1;
        q.changed.notify_all();
        return q.pushed++;
    }

    void await_sent(std::unique_lock<std::mutex>& lock, int peer, MessageTag tag, std::uint64_t id,
                    const Deadline& deadline) {
        auto& q = world_->queue(rank_, peer);
        bool done = q.changed.wait_until(lock, deadline.end(), [&] {
            return q.popped > id || q.queued_bytes <= world_->capacity_ || q.closed;
        });
        if (!done) deadline.throw_timeout(where("send to", peer, tag));
        if (q.popped <= id && q.queued_bytes > world_->capacity_)
            throw PeerLostError(where("send to", peer, tag) + ": the peer aborted", peer);
    }

    void pop(std::unique_lock<std::mutex>& lock, int peer, MessageTag tag, MutableBytes data,
             const Deadline& deadline) {
        check(peer, "recv from", tag);
        auto& q = world_->queue(peer, rank_);
        bool ready = q.changed.wait_until(lock, deadline.end(),
                                                 [&] { return !q.messages.empty() || q.closed; });
        if (!ready) deadline.throw_timeout(where("recv from", peer, tag));
        if (q.messages.empty()) throw PeerLostError(where("recv from", peer, tag) + ": the peer aborted", peer);
        InprocWorld::Message m = std::move(q.messages.front());
        q.messages.pop_front();
        q.queued_bytes -= m.bytes.size();
        q.popped += 1;
        q.changed.notify_all();
        if (m.tag.op != tag.op || m.tag.seq != tag.seq)
            throw MismatchError(where("recv from", peer, tag) + ": got a message of " + describe(m.tag));
        if (m.bytes.size() != data.size())
            throw SizeMismatchError(describe(tag), peer, data.size(), m.bytes.size());
        if (!data.empty()) std::memcpy(data.data(), m.bytes.data(), data.size());
        if (q.spare.size() < 4) q.spare.push_back(std::move(m.bytes));
    }

    std::shared_ptr<InprocWorld> world_;
    int rank_;
    bool aborted_ = false;  // guarded by world_->mutex_
};

inline std::unique_ptr<PeerChannel> InprocWorld::channel(int rank) {
    return std::make_unique<InprocChannel>(shared_from_this(), rank);
}

}  // namespace fmi::test
