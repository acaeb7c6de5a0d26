#include "harness.hpp"

#include "rendezvous/server.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fmi_test {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// A temporary directory removed with its files at scope exit.
class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/fmi-harness-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
        path_ = tmpl;
    }
    ~TempDir() {
        std::string cmd = "rm -rf '" + path_ + "'";
        if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "harness: could not remove %s\n", path_.c_str());
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

pid_t spawn(const JobOptions& o, int rank, const std::string& rendezvous, const std::string& out_path) {
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid > 0) return pid;
    // Child: only async-signal-safe work plus exec.
    int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    setenv("FMI_PEER_ID", std::to_string(rank).c_str(), 1);
    setenv("FMI_NUM_PEERS", std::to_string(o.peers).c_str(), 1);
    setenv("FMI_RENDEZVOUS", rendezvous.c_str(), 1);
    for (const auto& [k, v] : o.env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(o.program.c_str()));
    for (const auto& a : o.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(o.program.c_str(), argv.data());
    std::fprintf(stderr, "exec %s: %s\n", o.program.c_str(), std::strerror(errno));
    _exit(127);
}

}  // namespace

std::vector<PeerResult> run_job(const JobOptions& o) {
    fmi::detail::RendezvousServerOptions server_options;
    server_options.host = "127.0.0.1";  // port 0: a free one
    fmi::detail::RendezvousServer server(server_options);
    std::string rendezvous = "127.0.0.1:" + std::to_string(server.port());
    TempDir dir;
    JobOptions opts = o;
    if (!opts.env.count("FMI_COMM")) opts.env["FMI_COMM"] = "harness-" + std::to_string(getpid()) + "-" + std::to_string(std::rand());

    std::vector<pid_t> pids(o.peers);
    std::vector<PeerResult> results(o.peers);
    for (int r = 0; r < o.peers; ++r) pids[r] = spawn(opts, r, rendezvous, dir.path() + "/peer" + std::to_string(r));

    auto deadline = std::chrono::steady_clock::now() + o.timeout;
    int running = o.peers;
    while (running > 0) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            for (int r = 0; r < o.peers; ++r)
                if (pids[r] == pid) {
                    if (WIFEXITED(status)) results[r].exit_code = WEXITSTATUS(status);
                    if (WIFSIGNALED(status)) results[r].signal = WTERMSIG(status);
                    pids[r] = 0;
                    --running;
                }
            continue;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            for (int r = 0; r < o.peers; ++r)
                if (pids[r] > 0) {
                    kill(pids[r], SIGKILL);
                    waitpid(pids[r], &status, 0);
                    results[r].timed_out = true;
                    results[r].signal = SIGKILL;
                    pids[r] = 0;
                    --running;
                }
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (int r = 0; r < o.peers; ++r) results[r].output = read_file(dir.path() + "/peer" + std::to_string(r));
    return results;
}

std::string describe(const std::vector<PeerResult>& results) {
    std::string out;
    for (std::size_t r = 0; r < results.size(); ++r) {
        out += "--- peer " + std::to_string(r) + " exit=" + std::to_string(results[r].exit_code) +
               " signal=" + std::to_string(results[r].signal) + (results[r].timed_out ? " TIMED OUT" : "") + "\n";
        out += results[r].output;
    }
    return out;
}

}  // namespace fmi_test
