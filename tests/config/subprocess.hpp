// Runs a program (fmirun) for a test: hermetic environment (the test's FMI_*
// variables removed, chosen ones added), stdout and stderr captured apart,
// and a deadline after which it is killed, so a broken fmirun fails the test
// instead of hanging it. RAII: the destructor kills and reaps a process that
// is still running.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace fmi::test {

class Subprocess {
public:
    using Clock = std::chrono::steady_clock;

    Subprocess(std::vector<std::string> argv, const std::map<std::string, std::string>& variables = {},
               const std::string& working_directory = {}) {
        std::vector<std::string> environment;
        for (char** entry = environ; *entry; ++entry)
            if (std::strncmp(*entry, "FMI_", 4) != 0) environment.emplace_back(*entry);
        for (const auto& [name, value] : variables) environment.push_back(name + "=" + value);

        std::vector<char*> args, envp;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        for (auto& e : environment) envp.push_back(e.data());
        envp.push_back(nullptr);

        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            ::dup2(err[1], STDERR_FILENO);
            if (!working_directory.empty() && ::chdir(working_directory.c_str()) != 0) ::_exit(126);
            ::execve(args[0], args.data(), envp.data());
            ::_exit(127);
        }
        ::close(out[1]);
        ::close(err[1]);
        out_fd_ = out[0];
        err_fd_ = err[0];
        started_ = Clock::now();
    }

    ~Subprocess() {
        if (pid_ > 0 && !status_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (out_fd_ >= 0) ::close(out_fd_);
        if (err_fd_ >= 0) ::close(err_fd_);
    }
    Subprocess(const Subprocess&) = delete;
    Subprocess& operator=(const Subprocess&) = delete;

    pid_t pid() const { return pid_; }
    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }
    bool timed_out() const { return timed_out_; }
    std::chrono::milliseconds elapsed() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(finished_ - started_);
    }

    /// Reads output until `done(out, err)` holds or the deadline passes;
    /// returns whether it held.
    bool read_until(const std::function<bool(const std::string&, const std::string&)>& done,
                    std::chrono::milliseconds limit) {
        const auto deadline = Clock::now() + limit;
        while (!done(out_, err_)) {
            if (out_fd_ < 0 && err_fd_ < 0) return false;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return false;
            poll_once(static_cast<int>(left.count()));
        }
        return true;
    }

    /// Reads all output and waits for the exit; returns the exit code
    /// (128+signal if killed). Past `limit` the process is killed, timed_out()
    /// is set and -1 returned.
    int wait(std::chrono::milliseconds limit = std::chrono::seconds(60)) {
        const auto deadline = Clock::now() + limit;
        while (out_fd_ >= 0 || err_fd_ >= 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) {
                timed_out_ = true;
                ::kill(pid_, SIGKILL);
                break;
            }
            poll_once(static_cast<int>(left.count()));
        }
        int status = 0;
        ::waitpid(pid_, &status, 0);
        finished_ = Clock::now();
        status_ = status;
        if (timed_out_) return -1;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
    }

private:
    void poll_once(int timeout_ms) {
        pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
        if (::poll(fds, 2, timeout_ms) <= 0) return;
        drain(fds[0], out_fd_, out_);
        drain(fds[1], err_fd_, err_);
    }

    static void drain(const pollfd& ready, int& fd, std::string& into) {
        if (fd < 0 || !ready.revents) return;
        char buffer[65536];
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            into.append(buffer, static_cast<std::size_t>(n));
        } else {
            ::close(fd);
            fd = -1;
        }
    }

    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_, err_;
    bool timed_out_ = false;
    std::optional<int> status_;
    Clock::time_point started_, finished_;
};

}  // namespace fmi::test
