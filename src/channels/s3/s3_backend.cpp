#include "channels/s3/s3_backend.hpp"

#include "channels/s3/credentials.hpp"
#include "collectives/s3/algorithms.hpp"

namespace fmi::detail::s3 {

S3Backend::S3Backend(const PeerIdentity& who, const S3Options& options, Credentials credentials,
                     const Logger& log)
    : log_(log),
      who_(who),
      options_(options),
      client_(options, std::move(credentials), log),
      store_(client_, KeySpace(options.key_prefix, who.comm), who.rank, who.size, options, log) {
    if (who.size < 1 || who.rank < 0 || who.rank >= who.size)
        throw UsageError("S3 channel: peer id " + std::to_string(who.rank) + " is not in [0, " +
                         std::to_string(who.size) + ")");
}

void S3Backend::check_peer(int peer, const char* role, const OpContext& ctx) const {
    if (peer < 0 || peer >= who_.size)
        throw UsageError(std::string("S3 ") + to_string(ctx.op) + ": " + role + " " + std::to_string(peer) +
                         " is not in [0, " + std::to_string(who_.size) + ")");
}

void S3Backend::send(ConstBytes data, int dest, const OpContext& ctx) {
    check_peer(dest, "destination", ctx);
    send_put(store_, data, dest, ctx);
}

void S3Backend::recv(MutableBytes data, int src, const OpContext& ctx) {
    check_peer(src, "source", ctx);
    recv_get(store_, data, src, ctx);
}

void S3Backend::bcast(MutableBytes data, int root, const OpContext& ctx) {
    check_peer(root, "root", ctx);
    bcast_one_put(collective(ctx), data, root);
}

void S3Backend::barrier(const OpContext& ctx) { barrier_collect_release(collective(ctx)); }

void S3Backend::gather(ConstBytes in, MutableBytes out, int root, const OpContext& ctx) {
    check_peer(root, "root", ctx);
    if (who_.rank == root && out.size() != in.size() * static_cast<std::size_t>(who_.size))
        throw UsageError("S3 gather: the root's output has " + std::to_string(out.size()) + " bytes, expected " +
                         std::to_string(in.size() * static_cast<std::size_t>(who_.size)));
    gather_collect(collective(ctx), in, out, root);
}

void S3Backend::scatter(ConstBytes in, MutableBytes out, int root, const OpContext& ctx) {
    check_peer(root, "root", ctx);
    if (who_.rank == root && in.size() != out.size() * static_cast<std::size_t>(who_.size))
        throw UsageError("S3 scatter: the root's input has " + std::to_string(in.size()) + " bytes, expected " +
                         std::to_string(out.size() * static_cast<std::size_t>(who_.size)));
    scatter_one_object(collective(ctx), in, out, root);
}

void S3Backend::allgather(ConstBytes in, MutableBytes out, const OpContext& ctx) {
    if (out.size() != in.size() * static_cast<std::size_t>(who_.size))
        throw UsageError("S3 allgather: the output has " + std::to_string(out.size()) + " bytes, expected " +
                         std::to_string(in.size() * static_cast<std::size_t>(who_.size)));
    allgather_collect_publish(collective(ctx), in, out);
}

void S3Backend::reduce(ConstBytes in, MutableBytes out, int root, const ReduceFn& fn, const OpContext& ctx) {
    check_peer(root, "root", ctx);
    if (who_.rank == root && out.size() != in.size())
        throw UsageError("S3 reduce: output of " + std::to_string(out.size()) + " bytes for input of " +
                         std::to_string(in.size()));
    reduce_collect_fold(collective(ctx), in, out, root, fn);
}

void S3Backend::allreduce(ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx) {
    if (out.size() != in.size())
        throw UsageError("S3 allreduce: output of " + std::to_string(out.size()) + " bytes for input of " +
                         std::to_string(in.size()));
    allreduce_collect_publish(collective(ctx), in, out, fn);
}

void S3Backend::scan(ConstBytes in, MutableBytes out, const ReduceFn& fn, const OpContext& ctx) {
    if (out.size() != in.size())
        throw UsageError("S3 scan: output of " + std::to_string(out.size()) + " bytes for input of " +
                         std::to_string(in.size()));
    scan_collect_publish(collective(ctx), in, out, fn);
}

void S3Backend::finalize() { store_.finalize(); }

void S3Backend::abort() noexcept { store_.abort(); }

}  // namespace fmi::detail::s3

namespace fmi::detail {

std::unique_ptr<Backend> make_s3_backend(const PeerIdentity& who, const S3Options& options, const Logger& log) {
    auto credentials = s3::resolve_credentials(options, s3::getenv_lookup());
    return std::make_unique<s3::S3Backend>(who, options, std::move(credentials), log);
}

}  // namespace fmi::detail
