// The S3 backend: every operation of one communicator over one bucket.
// Owns the client (connections, counters), the store (waits, cleanup) and
// the scratch memory; runs the algorithms of src/collectives/s3.
#pragma once

#include "channels/s3/key_space.hpp"
#include "channels/s3/request_counts.hpp"
#include "channels/s3/s3_client.hpp"
#include "channels/s3/s3_store.hpp"
#include "collectives/s3/s3_collective.hpp"
#include "core/backend.hpp"
#include "core/factories.hpp"

namespace fmi::detail::s3 {

class S3Backend final : public Backend {
public:
    S3Backend(const PeerIdentity& who, const S3Options& options, Credentials credentials, const Logger& log);

    std::string_view name() const override { return "s3"; }

    void send(ConstBytes data, int dest, const OpContext& ctx) override;
    void recv(MutableBytes data, int src, const OpContext& ctx) override;
    void bcast(MutableBytes data, int root, const OpContext& ctx) override;
    void barrier(const OpContext& ctx) override;
    void gather(ConstBytes in, MutableBytes out, int root, const OpContext& ctx) override;
    void scatter(ConstBytes in, MutableBytes out, int root, const OpContext& ctx) override;
    void allgather(ConstBytes in, MutableBytes out, const OpContext& ctx) override;
    void reduce(ConstBytes in, MutableBytes out, int root, const ReduceFn& fn, const OpContext& ctx) override;
    void allreduce(ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx) override;
    void scan(ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx) override;
    void finalize() override;
    void abort() noexcept override;

    /// Requests made so far by this peer of the communicator, by type.
    RequestCounts request_counts() const noexcept { return client_.counts(); }
    std::uint64_t requests_made() const noexcept override { return client_.counts().total(); }
    /// Where the communicator's objects live ("<prefix>/<comm>/").
    const KeySpace& keys() const noexcept { return store_.keys(); }

private:
    S3Collective collective(const OpContext& ctx) {
        return S3Collective{store_, ctx, scratch_, options_.parallel_transfers};
    }
    void check_peer(int peer, const char* role, const OpContext& ctx) const;

    const Logger& log_;
    PeerIdentity who_;
    S3Options options_;
    S3Client client_;
    S3Store store_;
    Scratch scratch_;
};

}  // namespace fmi::detail::s3
