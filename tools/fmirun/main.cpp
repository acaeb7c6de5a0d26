// fmirun: starts N local peers of an fmi program and supervises them.
//   1. parse the arguments and the configuration (--config or $FMI_CONFIG,
//      then FMI_* variables); any error exits with 2;
//   2. block SIGCHLD/SIGINT/SIGTERM/SIGHUP and read them from a signalfd
//      (before any thread exists, so every thread inherits the mask);
//   3. start the embedded rendezvous server when the direct channel is
//      enabled and no server is configured;
//   4. start the peers with FMI_PEER_ID, FMI_NUM_PEERS, FMI_COMM, FMI_CONFIG
//      (and FMI_RENDEZVOUS) and supervise them (supervisor.hpp).
// Usage and exit codes: fmirun --help, docs/configuration.md.
#include "options.hpp"
#include "peer_launcher.hpp"
#include "supervisor.hpp"
#include "unique_fd.hpp"

#include "config/config_json.hpp"
#include "config/environment.hpp"
#include "rendezvous/server.hpp"

#include <fmi/config.hpp>
#include <fmi/errors.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

extern char** environ;

namespace fmirun {
namespace {

constexpr int usage_exit_code = 2;

void print_error(const std::string& message) {
    std::string line = "fmirun: " + message + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
}

std::string unique_comm_name() {
    std::random_device random;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
    return "fmirun-" + std::to_string(::getpid()) + "-" + suffix;
}

// 2 pipes per peer plus the embedded server's sockets (about 2 per peer).
void ensure_file_limit(int num_peers) {
    const rlim_t needed = static_cast<rlim_t>(num_peers) * 4 + 64;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) return;
    limit.rlim_cur = std::min(needed, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < needed)
        throw ArgumentError("-n " + std::to_string(num_peers) + " needs about " + std::to_string(needed) +
                            " open files, but the limit is " + std::to_string(limit.rlim_cur) + " (ulimit -n)");
}

// The configuration fmirun acts on: the file, then its own FMI_* variables.
fmi::Config load_configuration(const std::optional<std::filesystem::path>& path) {
    fmi::Config config;
    if (path) config = fmi::load_config(*path);
    fmi::detail::check_environment_names(fmi::detail::fmi_environment_names());
    fmi::apply_environment(config, fmi::process_environment());
    return config;
}

// Kills and reaps the peers started so far when a later one cannot start.
void abandon(std::vector<LaunchedPeer>& peers) {
    for (const LaunchedPeer& peer : peers) ::kill(-peer.pid, SIGKILL);
    for (const LaunchedPeer& peer : peers) ::waitpid(peer.pid, nullptr, 0);
}

int run(const std::vector<std::string>& arguments) {
    RunOptions options;
    std::optional<std::filesystem::path> config_path;
    fmi::Config config;
    std::string executable;
    try {
        options = parse_arguments(arguments);
        if (options.help) {
            std::fputs(usage_text(), stdout);
            return 0;
        }
        config_path = options.config_path;
        if (const char* from_env = std::getenv("FMI_CONFIG"); !config_path && from_env && *from_env)
            config_path = from_env;
        if (config_path) config_path = std::filesystem::absolute(*config_path);
        config = load_configuration(config_path);
        if (options.print_config) {
            std::fputs(fmi::detail::config_to_json(config).c_str(), stdout);
            return 0;
        }
        executable = resolve_program(options.command.front());
        ensure_file_limit(options.num_peers);
    } catch (const ArgumentError& error) {
        print_error(error.what());
        return usage_exit_code;
    } catch (const fmi::ConfigError& error) {
        print_error(error.what());
        return usage_exit_code;
    }

    sigset_t handled, original;
    sigemptyset(&handled);
    for (int signal_number : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) sigaddset(&handled, signal_number);
    ::sigprocmask(SIG_BLOCK, &handled, &original);
    ::signal(SIGPIPE, SIG_IGN);  // a closed stdout must not kill fmirun (and orphan the peers)
    UniqueFd signal_fd(::signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC));
    UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!signal_fd || !dev_null) {
        print_error(std::string("cannot set up: ") + std::strerror(errno));
        return 1;
    }

    std::vector<std::pair<std::string, std::string>> peer_variables = {
        {"FMI_NUM_PEERS", std::to_string(options.num_peers)},
        {"FMI_COMM", options.comm ? *options.comm : unique_comm_name()},
    };
    if (config_path) peer_variables.emplace_back("FMI_CONFIG", config_path->string());

    std::unique_ptr<fmi::detail::RendezvousServer> server;
    if (config.direct.enabled && config.direct.rendezvous_port == 0) {
        fmi::detail::RendezvousServerOptions server_options;
        server_options.host = "127.0.0.1";
        server_options.port = 0;
        server_options.secret = config.direct.secret;
        try {
            server = std::make_unique<fmi::detail::RendezvousServer>(server_options);
        } catch (const std::exception& error) {
            print_error(std::string("cannot start the embedded rendezvous server: ") + error.what());
            return 1;
        }
        peer_variables.emplace_back("FMI_RENDEZVOUS", "127.0.0.1:" + std::to_string(server->port()));
    }

    // Processes the peers leave behind become fmirun's children, so they are
    // reaped here and can be killed at the end instead of lingering.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);

    const std::vector<int> cpus = options.bind_cores ? usable_cpus() : std::vector<int>{};
    if (options.bind_cores && cpus.empty())
        print_error("--bind-cores: cannot read the CPUs fmirun may use (sched_getaffinity); peers run unbound");
    std::vector<LaunchedPeer> peers;
    try {
        for (int id = 0; id < options.num_peers; ++id) {
            PeerLaunch launch;
            launch.executable = executable;
            launch.arguments = options.command;
            auto variables = peer_variables;
            variables.emplace_back("FMI_PEER_ID", std::to_string(id));
            // Without a configuration file, an empty FMI_CONFIG would mislead the peers.
            launch.environment = make_environment(environ, variables,
                                                  config_path ? std::vector<std::string>{}
                                                              : std::vector<std::string>{"FMI_CONFIG"});
            launch.capture_output = options.prefix;
            if (!cpus.empty()) launch.cpu = cpus[static_cast<std::size_t>(id) % cpus.size()];
            peers.push_back(launch_peer(launch, original, dev_null.get()));
        }
    } catch (const std::exception& error) {
        print_error(std::string("cannot start peer ") + std::to_string(peers.size()) + ": " + error.what());
        abandon(peers);
        return 1;
    }
    dev_null.reset();

    SupervisorOptions supervisor_options;
    supervisor_options.timeout = options.timeout;
    supervisor_options.grace = options.grace;
    return supervise(std::move(peers), signal_fd.get(), supervisor_options);
}

}  // namespace
}  // namespace fmirun

int main(int argc, char** argv) {
    return fmirun::run(std::vector<std::string>(argv + 1, argv + argc));
}
