// fmi-rendezvous: serves the rendezvous protocol (docs/rendezvous.md) until
// SIGINT or SIGTERM.
//
//   fmi-rendezvous --host H --port P [--ttl-ms N] [--verbose] [--help]
//
// Prints "fmi-rendezvous listening on H:P" on stdout once it accepts
// connections (with --port 0, P is the port the OS chose), so scripts and
// fmirun can wait for that line.
#include "rendezvous/server.hpp"
#include "rendezvous/socket.hpp"

#include <fmi/errors.hpp>

#include <pthread.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace {

constexpr const char* kUsage =
    "usage: fmi-rendezvous [--host H] [--port P] [--ttl-ms N] [--idle-ms N] [--verbose] [--help]\n"
    "\n"
    "Pairs the peers of fmi communicators: each peer registers its endpoints,\n"
    "and once all peers of a communicator have registered, every peer gets the\n"
    "list of all of them. Serves until SIGINT or SIGTERM.\n"
    "\n"
    "  --host H      address to listen on (default 0.0.0.0)\n"
    "  --port P      TCP port (default 10000; 0: any free port, printed at start)\n"
    "  --ttl-ms N    drop registrations of communicators still incomplete after\n"
    "                N ms; their peers get an 'expired' error (default 300000)\n"
    "  --idle-ms N   disconnect clients that send no registration for N ms\n"
    "                (default 600000)\n"
    "  --verbose     log every connection, registration and error to stderr\n"
    "  --help        print this help\n"
    "environment: FMI_RENDEZVOUS_SECRET, when set, is the shared secret every\n"
    "  registration and relay request must be authenticated with (HMAC-SHA256)\n";

[[noreturn]] void usage_error(const std::string& message) {
    std::cerr << "fmi-rendezvous: " << message << "\n\n" << kUsage;
    std::exit(2);
}

std::uint64_t parse_number(std::string_view flag, const char* text, std::uint64_t max) {
    if (text == nullptr) usage_error(std::string(flag) + " needs a value");
    char* end = nullptr;
    errno = 0;
    unsigned long long value = std::strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value > max)
        usage_error(std::string(flag) + ": '" + text + "' is not a number in 0.." + std::to_string(max));
    return value;
}

fmi::detail::RendezvousServerOptions parse_arguments(int argc, char** argv) {
    fmi::detail::RendezvousServerOptions options;
    options.port = 10000;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            std::exit(0);
        } else if (arg == "--verbose" || arg == "-v") {
            options.verbose = true;
        } else if (arg == "--host") {
            if (value == nullptr) usage_error("--host needs a value");
            options.host = value;
            ++i;
        } else if (arg == "--port") {
            options.port = static_cast<std::uint16_t>(parse_number(arg, value, 65535));
            ++i;
        } else if (arg == "--ttl-ms") {
            options.registration_ttl = std::chrono::milliseconds(parse_number(arg, value, 1ull << 40));
            ++i;
        } else if (arg == "--idle-ms") {
            options.idle_timeout = std::chrono::milliseconds(parse_number(arg, value, 1ull << 40));
            ++i;
        } else {
            usage_error("unknown argument '" + std::string(arg) + "'");
        }
    }
    // The shared secret comes from the environment, never the command line
    // (other users can read command lines in ps).
    if (const char* secret = std::getenv("FMI_RENDEZVOUS_SECRET")) options.secret = secret;
    if (options.registration_ttl.count() == 0) usage_error("--ttl-ms must be positive");
    if (options.idle_timeout.count() == 0) usage_error("--idle-ms must be positive");
    return options;
}

}  // namespace

int main(int argc, char** argv) {
    const fmi::detail::RendezvousServerOptions options = parse_arguments(argc, argv);

    // Block the stop signals before the server thread starts (it inherits the
    // mask), then wait for them synchronously here: no signal handler, no
    // global flag.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    try {
        fmi::detail::RendezvousServer server(options);
        std::cout << "fmi-rendezvous listening on "
                  << fmi::detail::Endpoint{options.host, server.port()}.to_string() << std::endl;
        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        if (options.verbose) std::cerr << "fmi-rendezvous: stopping on signal " << signal_number << "\n";
        server.stop();
    } catch (const fmi::Error& e) {
        std::cerr << "fmi-rendezvous: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
