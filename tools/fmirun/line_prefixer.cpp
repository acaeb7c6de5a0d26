#include "line_prefixer.hpp"

#include <cerrno>
#include <poll.h>
#include <unistd.h>

namespace fmirun {

void OutputSink::write_all(std::string_view data) noexcept {
    while (!data.empty() && !broken_) {
        ssize_t written = ::write(fd_, data.data(), data.size());
        if (written > 0) {
            data.remove_prefix(static_cast<std::size_t>(written));
        } else if (written < 0 && errno == EINTR) {
            continue;
        } else if (written < 0 && errno == EAGAIN) {
            // Someone made our stdout non-blocking: wait until it drains.
            pollfd ready{fd_, POLLOUT, 0};
            ::poll(&ready, 1, -1);
        } else {
            broken_ = true;  // EPIPE, EBADF, ...: drop the rest
        }
    }
}

LinePrefixer::LinePrefixer(std::string prefix, OutputSink& sink, std::size_t max_line_bytes)
    : prefix_(std::move(prefix)), sink_(&sink), max_line_bytes_(max_line_bytes) {}

void LinePrefixer::append_line(std::string_view line) {
    batch_ += prefix_;
    batch_ += line;
    batch_ += '\n';
}

void LinePrefixer::feed(std::string_view data) {
    while (!data.empty()) {
        std::size_t newline = data.find('\n');
        std::size_t room = max_line_bytes_ - pending_.size();
        if (newline == std::string_view::npos || newline > room) {
            if (data.size() < room) {
                pending_ += data;
                break;
            }
            // The line is too long to hold: write what we have as one line.
            pending_ += data.substr(0, room);
            data.remove_prefix(room);
            append_line(pending_);
            pending_.clear();
            continue;
        }
        if (pending_.empty()) {
            append_line(data.substr(0, newline));
        } else {
            pending_ += data.substr(0, newline);
            append_line(pending_);
            pending_.clear();
        }
        data.remove_prefix(newline + 1);
    }
    if (!batch_.empty()) {
        sink_->write_all(batch_);
        batch_.clear();
    }
}

void LinePrefixer::finish() {
    if (!pending_.empty()) {
        append_line(pending_);
        pending_.clear();
    }
    if (!batch_.empty()) {
        sink_->write_all(batch_);
        batch_.clear();
    }
}

}  // namespace fmirun
