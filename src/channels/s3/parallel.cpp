#include "channels/s3/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace fmi::detail::s3 {

void parallel_for(std::size_t count, std::size_t width, const std::function<void(std::size_t)>& task) {
    if (count == 0) return;
    width = std::clamp<std::size_t>(width, 1, count);
    if (width == 1) {
        for (std::size_t i = 0; i < count; ++i) task(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr first_error;
    std::mutex error_mutex;
    auto worker = [&] {
        for (;;) {
            if (failed.load()) return;
            std::size_t i = next.fetch_add(1);
            if (i >= count) return;
            try {
                task(i);
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (!first_error) first_error = std::current_exception();
                failed.store(true);
                return;
            }
        }
    };
    {
        std::vector<std::jthread> helpers;
        helpers.reserve(width - 1);
        for (std::size_t t = 1; t < width; ++t) helpers.emplace_back(worker);
        worker();
    }  // joins
    if (first_error) std::rethrow_exception(first_error);
}

}  // namespace fmi::detail::s3
