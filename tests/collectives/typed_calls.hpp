// Typed conveniences for calling a Backend with std::vectors in the tests.
#pragma once

#include "rank_harness.hpp"
#include "byte_views.hpp"

#include <span>
#include <vector>

namespace fmi::test {

/// "P4 root 3 sum count 1001 small_segments in-place" style trace text.
inline std::string case_text(int size, int root, const std::string& op, std::size_t count, const std::string& options,
                             bool in_place) {
    return "P" + std::to_string(size) + " root " + std::to_string(root) + " " + op + " count " + std::to_string(count) +
           " " + options + (in_place ? " in-place" : "");
}

}  // namespace fmi::test
