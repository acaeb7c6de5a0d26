// A peer program for the fmirun tests; what it does is chosen by argv[1]:
//   env                       print the FMI_* variables fmirun set, and its pid
//   output                    print known lines to stdout and stderr: short
//                             ones, one 200000-byte line written in 1000-byte
//                             pieces (to catch interleaving), a partial last line
//   fail ID CODE DIR [--ignore-term]
//                             peer ID waits until every other peer is ready
//                             (a file in DIR), then exits with CODE; the others
//                             print their pid, mark themselves ready and sleep
//                             60 s (ignoring SIGTERM with --ignore-term)
//   signal ID SIGNO DIR       as fail, but peer ID kills itself with SIGNO
//   sleep SECONDS             print the pid, then sleep
//   stagger                   peer i sleeps i*50 ms, then exits 0
//   rendezvous                register with the server in FMI_RENDEZVOUS and
//                             print the address and the ids it answered with
#include "rendezvous/client.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

std::string variable(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "<unset>";
}

int peer_id() { return std::atoi(variable("FMI_PEER_ID").c_str()); }
int num_peers() { return std::atoi(variable("FMI_NUM_PEERS").c_str()); }

void write_text(int fd, std::string_view text) {
    while (!text.empty()) {
        ssize_t n = ::write(fd, text.data(), text.size());
        if (n <= 0) std::_Exit(90);
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

void print_line(const std::string& line) { write_text(STDOUT_FILENO, line + "\n"); }

int print_environment() {
    for (const char* name : {"FMI_PEER_ID", "FMI_NUM_PEERS", "FMI_COMM", "FMI_CONFIG", "FMI_RENDEZVOUS"})
        print_line(std::string(name) + "=" + variable(name));
    print_line("pid " + std::to_string(::getpid()));
    return 0;
}

int print_output() {
    const int id = peer_id();
    print_line("line A from " + std::to_string(id));
    // One long line in many small writes, with pauses so other peers' writes
    // fall in between: fmirun must still print it whole.
    const std::string piece(1000, static_cast<char>('a' + id % 26));
    for (int i = 0; i < 200; ++i) {
        write_text(STDOUT_FILENO, piece);
        if (i % 50 == 0) std::this_thread::sleep_for(1ms);
    }
    write_text(STDOUT_FILENO, "\n");
    write_text(STDERR_FILENO, "err from " + std::to_string(id) + "\n");
    print_line("line B from " + std::to_string(id));
    write_text(STDOUT_FILENO, "tail " + std::to_string(id));  // no newline
    return 0;
}

// Peers other than `failing` mark themselves ready and sleep; `failing` waits
// for them (at most 20 s) and then runs `fail`.
template <class Fail>
int fail_when_others_ready(int failing, const std::filesystem::path& dir, bool ignore_term, Fail fail) {
    const int id = peer_id();
    if (id != failing) {
        if (ignore_term) std::signal(SIGTERM, SIG_IGN);
        print_line("pid " + std::to_string(::getpid()));
        std::ofstream(dir / ("ready-" + std::to_string(id))) << "ready";
        std::this_thread::sleep_for(60s);
        return 0;
    }
    auto give_up = std::chrono::steady_clock::now() + 20s;
    for (int other = 0; other < num_peers(); ++other) {
        if (other == failing) continue;
        while (!std::filesystem::exists(dir / ("ready-" + std::to_string(other)))) {
            if (std::chrono::steady_clock::now() > give_up) return 99;
            std::this_thread::sleep_for(5ms);
        }
    }
    return fail();
}

int register_with_rendezvous() {
    using namespace fmi::detail;
    const std::string address = variable("FMI_RENDEZVOUS");
    auto colon = address.rfind(':');
    if (colon == std::string::npos) {
        print_line("no rendezvous address: " + address);
        return 3;
    }
    Endpoint server{address.substr(0, colon),
                                static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)))};
    Deadline deadline(20s);
    rendezvous::RendezvousClient client(server, deadline);
    rendezvous::RegisterMessage request;
    request.comm = variable("FMI_COMM");
    request.peer_id = static_cast<std::uint32_t>(peer_id());
    request.peer_count = static_cast<std::uint32_t>(num_peers());
    request.endpoints.push_back({"127.0.0.1", static_cast<std::uint16_t>(20000 + peer_id())});
    rendezvous::PeersMessage answer = client.register_and_wait(request, deadline);
    std::string ids;
    for (const auto& peer : answer.peers) ids += (ids.empty() ? "" : ",") + std::to_string(peer.id);
    print_line("rendezvous " + address + " comm " + answer.comm + " peers " + ids);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "env") return print_environment();
        if (mode == "output") return print_output();
        if ((mode == "fail" || mode == "signal") && argc >= 5) {
            const int failing = std::atoi(argv[2]);
            const int value = std::atoi(argv[3]);
            const bool ignore_term = argc > 5 && std::string_view(argv[5]) == "--ignore-term";
            return fail_when_others_ready(failing, argv[4], ignore_term, [&] {
                if (mode == "signal") ::kill(::getpid(), value);
                return value;
            });
        }
        if (mode == "sleep" && argc >= 3) {
            print_line("pid " + std::to_string(::getpid()));
            std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(argv[2]) * 1000));
            return 0;
        }
        if (mode == "stagger") {
            std::this_thread::sleep_for(std::chrono::milliseconds(50 * peer_id()));
            return 0;
        }
        if (mode == "rendezvous") return register_with_rendezvous();
    } catch (const std::exception& error) {
        write_text(STDERR_FILENO, std::string("fmirun_test_peer: ") + error.what() + "\n");
        return 4;
    }
    write_text(STDERR_FILENO, "fmirun_test_peer: unknown mode '" + mode + "'\n");
    return 64;
}
