#include "supervisor.hpp"

#include "line_prefixer.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

namespace fmirun {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string signal_name(int signal_number) {
    const char* abbreviation = ::sigabbrev_np(signal_number);
    return abbreviation ? "SIG" + std::string(abbreviation) : "signal " + std::to_string(signal_number);
}

std::string seconds_text(milliseconds duration) {
    std::string text = std::to_string(duration.count() / 1000);
    if (auto rest = duration.count() % 1000) {
        std::string fraction = std::to_string(1000 + rest).substr(1);
        while (fraction.back() == '0') fraction.pop_back();
        text += "." + fraction;
    }
    return text + " s";
}

bool failed(int status) { return !(WIFEXITED(status) && WEXITSTATUS(status) == 0); }

// One output stream of one peer: the pipe and its prefixer.
struct Stream {
    UniqueFd pipe;
    LinePrefixer prefixer;
};

struct Peer {
    int id;
    pid_t pid;
    bool running = true;
    Stream out;
    Stream err;
};

class Supervision {
public:
    Supervision(std::vector<LaunchedPeer> launched, int signal_fd, const SupervisorOptions& options)
        : signal_fd_(signal_fd), options_(options) {
        peers_.reserve(launched.size());
        for (std::size_t i = 0; i < launched.size(); ++i) {
            std::string prefix = "[" + std::to_string(i) + "] ";
            peers_.push_back(Peer{static_cast<int>(i), launched[i].pid, true,
                                  Stream{std::move(launched[i].stdout_pipe), LinePrefixer(prefix, stdout_)},
                                  Stream{std::move(launched[i].stderr_pipe), LinePrefixer(prefix, stderr_)}});
        }
    }

    int run() {
        if (options_.timeout) run_deadline_ = Clock::now() + *options_.timeout;
        while (true) {
            if (running_count() == 0) {
                if (!any_stream_open()) break;
                if (!drain_deadline_) drain_deadline_ = Clock::now() + options_.drain_limit;
                if (Clock::now() >= *drain_deadline_) break;
            }
            wait_for_events();
            const auto now = Clock::now();
            if (reason_ == StopReason::none && run_deadline_ && now >= *run_deadline_) {
                reason_ = StopReason::timeout;
                exit_code_ = timeout_exit_code;
                say("timeout: " + seconds_text(*options_.timeout) + " elapsed; stopping the " +
                    std::to_string(running_count()) + " running peer(s)");
                stop_running(SIGTERM);
            }
            if (kill_deadline_ && now >= *kill_deadline_) {
                kill_deadline_.reset();
                if (running_count() > 0) {
                    say("peer(s) " + running_ids() + " still running " + seconds_text(options_.grace) +
                        " after being asked to stop; sending SIGKILL");
                    signal_running(SIGKILL);
                }
            }
        }
        finish_streams();
        kill_leftovers();
        return exit_code_;
    }

private:
    enum class StopReason { none, failure, timeout, interrupted };

    void say(const std::string& message) { stderr_.write_all("fmirun: " + message + "\n"); }

    int running_count() const {
        return static_cast<int>(std::count_if(peers_.begin(), peers_.end(), [](const Peer& p) { return p.running; }));
    }

    std::string running_ids() const {
        std::string ids;
        for (const Peer& peer : peers_)
            if (peer.running) ids += (ids.empty() ? "" : ", ") + std::to_string(peer.id);
        return ids;
    }

    bool any_stream_open() const {
        return std::any_of(peers_.begin(), peers_.end(),
                           [](const Peer& p) { return p.out.pipe || p.err.pipe; });
    }

    // Sends `signal_number` to the process group of every running peer.
    void signal_running(int signal_number) {
        for (const Peer& peer : peers_)
            if (peer.running) ::kill(-peer.pid, signal_number);
    }

    // Asks every running peer to stop; SIGKILL follows after the grace period.
    void stop_running(int signal_number) {
        if (running_count() == 0) return;
        signal_running(signal_number);
        kill_deadline_ = Clock::now() + options_.grace;
    }

    // The poll timeout: until the nearest pending deadline (-1: none).
    int poll_timeout_ms() const {
        std::optional<Clock::time_point> next;
        auto consider = [&](const std::optional<Clock::time_point>& deadline) {
            if (deadline && (!next || *deadline < *next)) next = deadline;
        };
        if (reason_ == StopReason::none) consider(run_deadline_);
        consider(kill_deadline_);
        if (running_count() == 0) consider(drain_deadline_);
        if (!next) return -1;
        auto remaining = std::chrono::ceil<milliseconds>(*next - Clock::now()).count();
        return static_cast<int>(std::clamp<long long>(remaining, 0, 60'000));
    }

    void wait_for_events() {
        std::vector<pollfd> fds;
        std::vector<Stream*> streams;
        fds.push_back({signal_fd_, POLLIN, 0});
        for (Peer& peer : peers_) {
            for (Stream* stream : {&peer.out, &peer.err}) {
                if (!stream->pipe) continue;
                fds.push_back({stream->pipe.get(), POLLIN, 0});
                streams.push_back(stream);
            }
        }
        int ready = ::poll(fds.data(), fds.size(), poll_timeout_ms());
        if (ready <= 0) return;  // timeout or EINTR: the caller checks deadlines
        // Output first, so a peer's last words come before the report of its exit.
        for (std::size_t i = 1; i < fds.size(); ++i)
            if (fds[i].revents) read_stream(*streams[i - 1]);
        if (fds[0].revents) handle_signals();
    }

    void read_stream(Stream& stream) {
        char buffer[64 * 1024];
        ssize_t n = ::read(stream.pipe.get(), buffer, sizeof buffer);
        if (n > 0) {
            stream.prefixer.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            stream.prefixer.finish();
            stream.pipe.reset();
        }
    }

    void handle_signals() {
        signalfd_siginfo info{};
        while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            const int signal_number = static_cast<int>(info.ssi_signo);
            if (signal_number == SIGCHLD) {
                reap();
            } else if (reason_ == StopReason::none) {
                reason_ = StopReason::interrupted;
                exit_code_ = 128 + signal_number;
                say("received " + signal_name(signal_number) + "; forwarding it to the " +
                    std::to_string(running_count()) + " running peer(s)");
                stop_running(signal_number);
            } else if (running_count() > 0) {
                say("received " + signal_name(signal_number) + " while stopping; killing peer(s) " +
                    running_ids());
                signal_running(SIGKILL);
                kill_deadline_.reset();
            }
        }
    }

    void reap() {
        int status = 0;
        pid_t pid;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
            auto peer = std::find_if(peers_.begin(), peers_.end(), [&](const Peer& p) { return p.pid == pid; });
            if (peer == peers_.end()) continue;
            peer->running = false;
            if (reason_ == StopReason::none && failed(status)) {
                reason_ = StopReason::failure;
                exit_code_ = exit_code_of(status);
                const int others = running_count();
                say("peer " + std::to_string(peer->id) + " " + describe_wait_status(status) +
                    (others > 0 ? "; stopping the " + std::to_string(others) + " other running peer(s)" : ""));
                stop_running(SIGTERM);
            }
        }
    }

    void finish_streams() {
        for (Peer& peer : peers_) {
            for (Stream* stream : {&peer.out, &peer.err}) {
                if (!stream->pipe) continue;
                stream->prefixer.finish();
                stream->pipe.reset();
            }
        }
    }

    // Processes a peer started and left running (they share its process
    // group). fmirun is their subreaper, so those that already ended are
    // reaped first and do not count; after a stop they are killed silently.
    void kill_leftovers() {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        for (const Peer& peer : peers_) {
            if (::kill(-peer.pid, 0) != 0) continue;  // the group is empty
            if (reason_ == StopReason::none)
                say("peer " + std::to_string(peer.id) + " exited but left processes running; killing them");
            ::kill(-peer.pid, SIGKILL);
        }
    }

    int signal_fd_;
    SupervisorOptions options_;
    OutputSink stdout_{STDOUT_FILENO};
    OutputSink stderr_{STDERR_FILENO};
    std::vector<Peer> peers_;
    StopReason reason_ = StopReason::none;
    int exit_code_ = 0;
    std::optional<Clock::time_point> run_deadline_;
    std::optional<Clock::time_point> kill_deadline_;
    std::optional<Clock::time_point> drain_deadline_;
};

}  // namespace

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + signal_name(WTERMSIG(status)) + ")";
    return "ended with wait status " + std::to_string(status);
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

int supervise(std::vector<LaunchedPeer> peers, int signal_fd, const SupervisorOptions& options) {
    Supervision supervision(std::move(peers), signal_fd, options);
    return supervision.run();
}

}  // namespace fmirun
