// How a region of bytes is cut into messages.
//
// A region of L bytes travels as floor(L / unit) segments of exactly `unit`
// bytes followed by one final segment of L mod unit bytes (possibly empty).
// Because every segment but the last is full and the last is short, no
// region's sequence of segment sizes is a prefix of another's: when two peers
// disagree on a size, the receiver sees a segment of the wrong size (a
// SizeMismatchError) before it could accept a wrong result or leave surplus
// segments behind for the next operation. The empty final segment costs one
// header-only message when L is a multiple of the unit.
#pragma once

#include <algorithm>
#include <cstddef>

namespace fmi::detail::p2p {

class Segments {
public:
    /// `unit` must be positive.
    Segments(std::size_t total_bytes, std::size_t unit) : total_(total_bytes), unit_(unit) {}

    std::size_t count() const noexcept { return total_ / unit_ + 1; }
    std::size_t offset(std::size_t i) const noexcept { return i * unit_; }
    std::size_t length(std::size_t i) const noexcept { return i < total_ / unit_ ? unit_ : total_ % unit_; }
    /// The largest segment (what a scratch buffer for one segment must hold).
    std::size_t max_length() const noexcept { return std::min(total_, unit_); }

private:
    std::size_t total_;
    std::size_t unit_;
};

/// The segment size for elements of `element_size` bytes: `max_bytes` rounded
/// down to whole elements, at least one element, so a reduction never sees
/// a split element.
inline std::size_t segment_unit(std::size_t max_bytes, std::size_t element_size = 1) noexcept {
    element_size = std::max<std::size_t>(element_size, 1);
    return std::max(element_size, max_bytes / element_size * element_size);
}

}  // namespace fmi::detail::p2p
