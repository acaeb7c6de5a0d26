// Prefixes each line of a peer's output stream with the peer's id ("[2] ").
// Lines are written whole, one write per batch of complete lines, so lines of
// different peers never interleave; a partial last line is completed with a
// newline when the stream ends; a line longer than max_line_bytes is split.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fmirun {

/// fmirun's own stdout or stderr. After a write error (EPIPE when the reader
/// went away) further output is dropped, so peers are never blocked by it.
class OutputSink {
public:
    explicit OutputSink(int fd) noexcept : fd_(fd) {}
    void write_all(std::string_view data) noexcept;
    bool broken() const noexcept { return broken_; }

private:
    int fd_;
    bool broken_ = false;
};

class LinePrefixer {
public:
    static constexpr std::size_t default_max_line_bytes = 1 << 20;

    LinePrefixer(std::string prefix, OutputSink& sink,
                 std::size_t max_line_bytes = default_max_line_bytes);

    /// Adds bytes read from the stream; writes every line they complete.
    void feed(std::string_view data);
    /// The stream ended: writes a pending partial line, ended by a newline.
    void finish();

private:
    void append_line(std::string_view line);

    std::string prefix_;
    OutputSink* sink_;
    std::size_t max_line_bytes_;
    std::string pending_;  ///< the start of a line not yet complete
    std::string batch_;    ///< complete prefixed lines, written at once
};

}  // namespace fmirun
