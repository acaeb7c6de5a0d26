// A Python buffer (numpy array, bytearray, memoryview, ...) pinned for one
// operation. It is acquired and released with the GIL held; in between, its
// memory can be read or written without the GIL, because an exporter cannot
// resize or free memory while a buffer export is open.
#pragma once

#include <Python.h>

#include <cstddef>
#include <span>

namespace fmi::python {

class PinnedBuffer {
public:
    enum class Access { read, write };

    /// An empty buffer (a None argument: e.g. the receive buffer of a
    /// non-root gather).
    PinnedBuffer() = default;

    /// Pins `object`. Throws fmi::UsageError naming `operation` and `role`
    /// ("sendbuf", "recvbuf", ...) when the object exports no buffer, is not
    /// writable while `access` is write, is not contiguous, or holds Python
    /// object references.
    PinnedBuffer(PyObject* object, Access access, const char* operation, const char* role);

    PinnedBuffer(PinnedBuffer&& other) noexcept;
    PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
    PinnedBuffer(const PinnedBuffer&) = delete;
    PinnedBuffer& operator=(const PinnedBuffer&) = delete;
    ~PinnedBuffer() { release(); }

    std::span<const std::byte> bytes() const noexcept {
        return {static_cast<const std::byte*>(view_.buf), size()};
    }
    /// Only for buffers pinned with Access::write, or when the caller knows
    /// the operation only reads (the root of a broadcast).
    std::span<std::byte> writable_bytes() const noexcept { return {static_cast<std::byte*>(view_.buf), size()}; }
    std::size_t size() const noexcept { return held_ ? static_cast<std::size_t>(view_.len) : 0; }

private:
    void release() noexcept;

    Py_buffer view_{};
    bool held_ = false;
};

}  // namespace fmi::python
