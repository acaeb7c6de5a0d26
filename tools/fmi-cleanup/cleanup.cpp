#include "cleanup.hpp"

namespace fmi::detail::s3 {

CleanupResult remove_communicator_objects(S3Client& client, const KeySpace& keys, const Deadline& deadline,
                                          bool dry_run) {
    CleanupResult result;
    for (ObjectEntry& e : client.list_all(keys.root(), deadline)) {
        result.bytes += e.size;
        result.keys.push_back(std::move(e.key));
    }
    result.objects = result.keys.size();
    if (!dry_run) client.delete_objects(result.keys, deadline);
    return result;
}

}  // namespace fmi::detail::s3
