// Runs independent tasks (the parts of a large upload or download) on a few
// threads. Threads are started per call: their cost (~50 us) is nothing next
// to an S3 request, and nothing lives between operations.
#pragma once

#include <cstddef>
#include <functional>

namespace fmi::detail::s3 {

/// Calls task(i) for i in [0, count) on up to `width` threads, the calling
/// thread included. After a task throws, no new task starts; the first
/// exception is rethrown once every thread has stopped.
void parallel_for(std::size_t count, std::size_t width, const std::function<void(std::size_t)>& task);

}  // namespace fmi::detail::s3
