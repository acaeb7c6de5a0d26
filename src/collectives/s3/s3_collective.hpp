// What every S3 algorithm works with: the store, the operation's identity
// (kind, sequence number, deadline), reusable scratch memory, and the
// small steps the algorithms share (upload a contribution, publish a result,
// read a publication, report a failure where partners wait).
//
// Object names (channels/s3/key_space.hpp): peer p's contribution to
// collective #s is c/<s>/<op>/in.<p>; what p publishes to all is
// c/<s>/<op>/out.<p>.
#pragma once

#include "channels/s3/s3_store.hpp"
#include "core/backend.hpp"

#include <fmi/ops.hpp>

#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

namespace fmi::detail::s3 {

/// Scratch memory owned by the backend and reused by every operation: a
/// first touch of fresh pages costs ~14 us per 4 KiB here (perf-notes.md).
/// Grows to the largest request and keeps it.
class Scratch {
public:
    /// `bytes` bytes, contents unspecified, valid until the next get().
    MutableBytes get(std::size_t bytes) {
        if (capacity_ < bytes) {
            data_ = std::make_unique_for_overwrite<std::byte[]>(bytes);
            capacity_ = bytes;
        }
        return MutableBytes(data_.get(), bytes);
    }

private:
    std::unique_ptr<std::byte[]> data_;
    std::size_t capacity_ = 0;
};

/// One collective in progress on this peer.
struct S3Collective {
    S3Store& store;
    const OpContext& ctx;
    Scratch& scratch;
    std::size_t parallel_reads;  ///< objects read at once by a collecting root

    int rank() const noexcept { return store.rank(); }
    int size() const noexcept { return store.size(); }
    std::string in_key(int peer) const { return store.keys().contribution(ctx.seq, ctx.op, peer); }
    std::string out_key(int peer) const { return store.keys().publication(ctx.seq, ctx.op, peer); }

    /// PUT this peer's contribution in.<rank>.
    void contribute(ConstBytes data) const { store.put(in_key(rank()), data, ctx); }
    /// PUT out.<rank>, read by every other peer (deleted once all are past it).
    void publish(ConstBytes data) const {
        std::string key = out_key(rank());
        store.put(key, data, ctx);
        store.published(ctx.seq, std::move(key), data.size());
    }
    /// Polls out.<writer> (object_size bytes) and reads into.size() bytes at offset.
    void read_publication(int writer, std::uint64_t object_size, std::uint64_t offset, MutableBytes into) const {
        store.read_when_present(out_key(writer), writer, object_size, offset, into, ctx, true);
    }
    /// Every peer but `root`, in peer order.
    std::vector<int> others(int root) const {
        std::vector<int> peers;
        for (int p = 0; p < size(); ++p)
            if (p != root) peers.push_back(p);
        return peers;
    }
    /// Runs a root's part; if it fails, leaves the error at out.<rank>,
    /// where the other peers wait, so they fail at once too.
    template <class Body>
    void reporting_failures(Body&& body) const {
        try {
            body();
        } catch (const Error& e) {
            store.put_error_marker(out_key(rank()), e, ctx);
            throw;
        }
    }
};

/// memmove unless both are the same bytes.
inline void copy_bytes(MutableBytes to, ConstBytes from) {
    if (!from.empty() && to.data() != from.data()) std::memmove(to.data(), from.data(), from.size());
}

}  // namespace fmi::detail::s3
