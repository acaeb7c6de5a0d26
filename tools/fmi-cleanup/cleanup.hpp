// Removing a communicator's leftovers: the objects a crashed or killed job
// left under <key_prefix>/<communicator>/ (a normal job deletes its own at
// finalize). Lists only that prefix, never the bucket, so other
// communicators' objects (even "App1" next to "App") are never touched.
#pragma once

#include "channels/s3/key_space.hpp"
#include "channels/s3/s3_client.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace fmi::detail::s3 {

struct CleanupResult {
    std::size_t objects = 0;        ///< objects found (and deleted unless dry run)
    std::size_t bytes = 0;          ///< their total size
    std::vector<std::string> keys;  ///< their keys (for --dry-run and --verbose)
};

/// Lists the communicator's prefix (one LIST per 1000 objects) and, unless
/// dry_run, deletes everything in it with DeleteObjects (one request per 1000).
CleanupResult remove_communicator_objects(S3Client& client, const KeySpace& keys, const Deadline& deadline,
                                          bool dry_run = false);

}  // namespace fmi::detail::s3
