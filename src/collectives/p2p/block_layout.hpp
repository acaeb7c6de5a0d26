// The split of `count` elements into `blocks` nearly equal blocks (the first
// count mod blocks ones get one element more), as byte offsets. Used by the
// reduce-scatter + allgather algorithms and by the ring allgather.
#pragma once

#include <fmi/communicator.hpp>

#include <cstddef>

namespace fmi::detail::p2p {

class BlockLayout {
public:
    BlockLayout(std::size_t count, int blocks, std::size_t element_size)
        : base_(count / static_cast<std::size_t>(blocks)),
          extra_(count % static_cast<std::size_t>(blocks)),
          element_size_(element_size) {}

    /// Byte offset of block b (b may equal the block count: the end).
    std::size_t offset(int b) const noexcept {
        std::size_t i = static_cast<std::size_t>(b);
        return (i * base_ + (i < extra_ ? i : extra_)) * element_size_;
    }
    /// Bytes of the blocks [first, first + n).
    std::size_t bytes(int first, int n = 1) const noexcept { return offset(first + n) - offset(first); }

    template <class Span>
    Span blocks_of(Span data, int first, int n = 1) const noexcept {
        return data.subspan(offset(first), bytes(first, n));
    }

private:
    std::size_t base_, extra_, element_size_;
};

}  // namespace fmi::detail::p2p
