// Byte views of a test's std::vectors, as the Backend interface takes them.
#pragma once

#include <fmi/communicator.hpp>

#include <span>
#include <vector>

namespace fmi::test {

template <class T>
ConstBytes bytes_of(const std::vector<T>& v) {
    return std::as_bytes(std::span(v));
}

template <class T>
MutableBytes writable(std::vector<T>& v) {
    return std::as_writable_bytes(std::span(v));
}

}  // namespace fmi::test
