// Scratch buffers owned by a backend and reused by every operation.
//
// A first-touch page fault costs ~14 us per 4 KiB page on our machines
// (perf-notes.md): allocating a 64 MiB buffer per operation would cost
// ~250 ms. Each slot keeps its largest allocation; algorithms ask for at most
// a few segments, so the total stays a few MiB.
#pragma once

#include <fmi/communicator.hpp>

#include <array>
#include <cstddef>
#include <memory>

namespace fmi::detail::p2p {

enum class ScratchSlot {
    receive,     // one incoming segment, combined right after it arrives
    accumulate,  // a relay's partial result of one segment
    own,         // a copy of this peer's input when the output overwrites it
    blocks,      // a relay's subtree blocks (gather, scatter)
    count_
};

class ScratchBuffers {
public:
    /// `bytes` bytes of the slot's buffer; contents are unspecified. The span
    /// stays valid until the next get() of the same slot.
    MutableBytes get(ScratchSlot slot, std::size_t bytes) {
        Buffer& b = buffers_[static_cast<std::size_t>(slot)];
        if (b.capacity < bytes) {
            b.data = std::make_unique_for_overwrite<std::byte[]>(bytes);
            b.capacity = bytes;
        }
        return MutableBytes(b.data.get(), bytes);
    }

private:
    struct Buffer {
        std::unique_ptr<std::byte[]> data;
        std::size_t capacity = 0;
    };
    std::array<Buffer, static_cast<std::size_t>(ScratchSlot::count_)> buffers_;
};

}  // namespace fmi::detail::p2p
