#include "peer_launcher.hpp"

#include "options.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sched.h>
#include <string_view>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace fmirun {

namespace {

UniqueFd make_pipe(UniqueFd& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    write_end.reset(fds[1]);
    return UniqueFd(fds[0]);
}

// Writes "fmirun: cannot execute PATH: errno N" with async-signal-safe calls.
void report_exec_failure(const char* prefix, int error) {
    char digits[16];
    int length = 0;
    do {
        digits[length++] = static_cast<char>('0' + error % 10);
        error /= 10;
    } while (error > 0 && length < 15);
    std::string_view text(prefix);
    (void)!::write(STDERR_FILENO, text.data(), text.size());
    for (int i = length - 1; i >= 0; --i) (void)!::write(STDERR_FILENO, &digits[i], 1);
    (void)!::write(STDERR_FILENO, "\n", 1);
}

bool is_executable_file(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

LaunchedPeer launch_peer(const PeerLaunch& launch, const sigset_t& child_signal_mask, int stdin_fd) {
    // Everything the child needs is prepared here: after fork it may not allocate.
    std::vector<char*> argv;
    for (const std::string& argument : launch.arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const std::string& entry : launch.environment) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    const std::string exec_failure = "fmirun: cannot execute " + launch.executable + ": errno ";

    LaunchedPeer peer;
    UniqueFd out_write, err_write;
    if (launch.capture_output) {
        peer.stdout_pipe = make_pipe(out_write);
        peer.stderr_pipe = make_pipe(err_write);
    }
    const pid_t parent = ::getpid();
    cpu_set_t binding;
    CPU_ZERO(&binding);
    if (launch.cpu >= 0) CPU_SET(launch.cpu, &binding);

    pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
        // Child. Undo fmirun's signal set-up: exec keeps ignored dispositions
        // and the blocked mask.
        ::signal(SIGPIPE, SIG_DFL);
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        ::signal(SIGHUP, SIG_DFL);
        ::signal(SIGCHLD, SIG_DFL);
        ::sigprocmask(SIG_SETMASK, &child_signal_mask, nullptr);
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);  // fmirun died before prctl
        // Inherited across exec; a failure (a CPU taken away since) leaves
        // the peer unbound rather than not started, and says so on the
        // peer's stderr (write(2): nothing else is safe between fork and exec).
        const bool unbound = launch.cpu >= 0 && ::sched_setaffinity(0, sizeof binding, &binding) != 0;
        ::dup2(stdin_fd, STDIN_FILENO);
        if (launch.capture_output) {
            ::dup2(out_write.get(), STDOUT_FILENO);
            ::dup2(err_write.get(), STDERR_FILENO);
        }
        if (unbound) {
            static const char warning[] = "fmirun: --bind-cores: this peer could not be bound to its CPU; it runs unbound\n";
            (void)!::write(STDERR_FILENO, warning, sizeof warning - 1);
        }
        // Only 0, 1 and 2 reach the peer (not other peers' pipes, not the
        // rendezvous server's sockets).
        ::close_range(3, ~0U, 0);
        ::execve(launch.executable.c_str(), argv.data(), envp.data());
        report_exec_failure(exec_failure.c_str(), errno);
        ::_exit(127);
    }
    // Also set the group here, so it exists before the parent signals it.
    ::setpgid(pid, pid);
    peer.pid = pid;
    return peer;
}

std::vector<int> usable_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    return cpus;
}

std::string resolve_program(const std::string& program) {
    if (program.find('/') != std::string::npos) {
        if (!is_executable_file(program))
            throw ArgumentError("program '" + program + "' is not an executable file");
        return program;
    }
    const char* path = std::getenv("PATH");
    std::string_view directories = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        std::size_t colon = directories.find(':');
        std::string directory(directories.substr(0, colon));
        std::string candidate = (directory.empty() ? "." : directory) + "/" + program;
        if (is_executable_file(candidate)) return candidate;
        if (colon == std::string_view::npos) break;
        directories.remove_prefix(colon + 1);
    }
    throw ArgumentError("program '" + program + "' not found in PATH");
}

std::vector<std::string> make_environment(char** base,
                                          const std::vector<std::pair<std::string, std::string>>& overrides,
                                          const std::vector<std::string>& removed) {
    auto is_replaced = [&](std::string_view entry) {
        std::string_view name = entry.substr(0, entry.find('='));
        for (const auto& [key, value] : overrides)
            if (name == key) return true;
        for (const std::string& key : removed)
            if (name == key) return true;
        return false;
    };
    std::vector<std::string> environment;
    for (char** entry = base; entry && *entry; ++entry)
        if (!is_replaced(*entry)) environment.emplace_back(*entry);
    for (const auto& [key, value] : overrides) environment.push_back(key + "=" + value);
    return environment;
}

}  // namespace fmirun
