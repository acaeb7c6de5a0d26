// The S3 algorithms, one file each (named after the function). Each file
// opens with its steps and its cost in requests by type; docs/algorithms/s3.md
// tabulates them for n peers. Every algorithm does nothing at n = 1 but
// copy locally (zero requests).
#pragma once

#include "collectives/s3/s3_collective.hpp"

namespace fmi::detail::s3 {

// Point to point (sendrecv_put_get.cpp).
void send_put(S3Store& store, ConstBytes data, int dest, const OpContext& ctx);
void recv_get(S3Store& store, MutableBytes data, int src, const OpContext& ctx);

void bcast_one_put(const S3Collective& c, MutableBytes data, int root);
void barrier_collect_release(const S3Collective& c);
void gather_collect(const S3Collective& c, ConstBytes in, MutableBytes out, int root);
void scatter_one_object(const S3Collective& c, ConstBytes in, MutableBytes out, int root);
void allgather_collect_publish(const S3Collective& c, ConstBytes in, MutableBytes out);
void reduce_collect_fold(const S3Collective& c, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn);
void allreduce_collect_publish(const S3Collective& c, ConstBytes in, MutableBytes out, const ReduceFn& fn);
void scan_collect_publish(const S3Collective& c, ConstBytes in, MutableBytes out, const ReduceFn& fn);

// Shared root steps.
/// gather_collect.cpp: root's part of a gather into `out` (n * in.size()).
void gather_at_root(const S3Collective& c, ConstBytes in, MutableBytes out, int root);
/// reduce_collect_fold.cpp: root's part of a reduce into `out`.
void reduce_at_root(const S3Collective& c, ConstBytes in, MutableBytes out, int root, const ReduceFn& fn);

}  // namespace fmi::detail::s3
