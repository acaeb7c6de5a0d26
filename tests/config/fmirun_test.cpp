// fmirun driven as a user would: the built binary runs fmirun_test_peer
// (tests/config/fmirun_test_peer.cpp) as its peers. Checks the environment
// each peer sees, output prefixing, failure propagation and the stopping of
// the other peers, --timeout, signal forwarding, argument and configuration
// errors, and the embedded rendezvous server.
#include "subprocess.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sched.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <signal.h>
#include <sstream>
#include <string>
#include <vector>

#ifndef FMIRUN_PATH
#error "FMIRUN_PATH must name the fmirun executable"
#endif
#ifndef FMIRUN_TEST_PEER_PATH
#error "FMIRUN_TEST_PEER_PATH must name the test peer executable"
#endif

namespace fmi {
namespace {

using namespace std::chrono_literals;
using test::Subprocess;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string fmirun = FMIRUN_PATH;
const std::string peer = FMIRUN_TEST_PEER_PATH;

// Generous bound for "stops promptly": the peers otherwise sleep 60 s.
constexpr auto prompt = 20s;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return lines;
}

// "[3] rest" -> {3, "rest"}; id -1 if the line has no prefix.
std::pair<int, std::string> split_prefix(const std::string& line) {
    if (line.size() < 4 || line[0] != '[') return {-1, line};
    auto close = line.find("] ");
    if (close == std::string::npos) return {-1, line};
    return {std::stoi(line.substr(1, close - 1)), line.substr(close + 2)};
}

// Per peer id: the NAME=value lines the `env` mode printed.
std::map<int, std::map<std::string, std::string>> environments_in(const std::string& out) {
    std::map<int, std::map<std::string, std::string>> result;
    for (const std::string& line : lines_of(out)) {
        auto [id, rest] = split_prefix(line);
        auto eq = rest.find('=');
        if (id >= 0 && eq != std::string::npos) result[id][rest.substr(0, eq)] = rest.substr(eq + 1);
    }
    return result;
}

std::vector<pid_t> pids_in(const std::string& out) {
    std::vector<pid_t> pids;
    for (const std::string& line : lines_of(out)) {
        auto [id, rest] = split_prefix(line);
        if (rest.starts_with("pid ")) pids.push_back(std::stoi(rest.substr(4)));
    }
    return pids;
}

bool process_gone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/fmirun-test-XXXXXX";
        if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path write(const std::string& name, const std::string& content) const {
        std::ofstream(path_ / name) << content;
        return path_ / name;
    }

private:
    std::filesystem::path path_;
};

// ---- arguments -----------------------------------------------------------

TEST(Fmirun, HelpExplainsTheUsage) {
    Subprocess run({fmirun, "--help"});
    EXPECT_EQ(run.wait(), 0);
    EXPECT_THAT(run.out(), HasSubstr("Usage: fmirun -n N"));
    EXPECT_THAT(run.out(), HasSubstr("--timeout SECONDS"));
    EXPECT_THAT(run.out(), HasSubstr("Example:"));
}

struct BadArguments {
    const char* name;
    std::vector<std::string> arguments;
    const char* message_part;
};

void PrintTo(const BadArguments& bad, std::ostream* out) { *out << bad.name; }

class FmirunRejects : public ::testing::TestWithParam<BadArguments> {};

TEST_P(FmirunRejects, WithExitCode2) {
    const BadArguments& bad = GetParam();
    std::vector<std::string> argv = {fmirun};
    for (const std::string& argument : bad.arguments) argv.push_back(argument == "PEER" ? peer : argument);
    Subprocess run(argv);
    EXPECT_EQ(run.wait(), 2) << run.err();
    EXPECT_THAT(run.err(), HasSubstr(bad.message_part));
    EXPECT_THAT(run.err(), StartsWith("fmirun: "));
    EXPECT_EQ(run.out(), "");  // no peer ran
}

const BadArguments bad_arguments[] = {
    {"NothingAtAll", {}, "missing -n N"},
    {"MissingPeerCount", {"-n"}, "-n: missing value"},
    {"ZeroPeers", {"-n", "0", "PEER", "env"}, "between 1 and 1024 (got 0)"},
    {"TooManyPeers", {"-n", "5000", "PEER", "env"}, "between 1 and 1024"},
    {"PeerCountNotANumber", {"-n", "four", "PEER", "env"}, "expected a number of peers, got 'four'"},
    {"MissingProgram", {"-n", "2"}, "missing the program"},
    {"UnknownOption", {"--peers", "2", "PEER", "env"}, "unknown option '--peers'"},
    {"NegativeTimeout", {"-n", "2", "--timeout", "-1", "PEER", "env"}, "--timeout: must be more than 0"},
    {"TimeoutNotANumber", {"-n", "2", "--timeout", "soon", "PEER", "env"}, "expected a number of seconds"},
    {"EmptyComm", {"-n", "2", "--comm=", "PEER", "env"}, "must not be empty"},
    {"MissingConfigFile", {"-n", "2", "--config", "/nonexistent/fmi.json", "PEER", "env"}, "/nonexistent/fmi.json"},
    {"ProgramNotFound", {"-n", "2", "surely-not-a-program-fmi"}, "not found in PATH"},
    {"ProgramNotExecutable", {"-n", "2", "/etc/passwd"}, "not an executable file"},
};

INSTANTIATE_TEST_SUITE_P(Cases, FmirunRejects, ::testing::ValuesIn(bad_arguments),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Fmirun, InvalidConfigurationNamesTheFieldWithExitCode2) {
    TempDir dir;
    auto config = dir.write("bad.json", R"({"redis": {"enabled": true, "port": 0}})");
    Subprocess run({fmirun, "-n", "2", "--config", config.string(), peer, "env"});
    EXPECT_EQ(run.wait(), 2);
    EXPECT_THAT(run.err(), HasSubstr("redis.port"));
    EXPECT_THAT(run.err(), HasSubstr(config.string()));
    EXPECT_EQ(run.out(), "");
}

TEST(Fmirun, MisspelledVariableIsAConfigurationError) {
    Subprocess run({fmirun, "-n", "2", peer, "env"}, {{"FMI_REDIS_PROT", "6379"}});
    EXPECT_EQ(run.wait(), 2);
    EXPECT_THAT(run.err(), HasSubstr("FMI_REDIS_PROT"));
    EXPECT_THAT(run.err(), HasSubstr("did you mean FMI_REDIS_PORT"));
}

TEST(Fmirun, InvalidVariableValueIsAConfigurationError) {
    Subprocess run({fmirun, "-n", "1", peer, "env"}, {{"FMI_TIMEOUT_MS", "soon"}});
    EXPECT_EQ(run.wait(), 2);
    EXPECT_THAT(run.err(), HasSubstr("FMI_TIMEOUT_MS"));
}

TEST(Fmirun, PrintConfigShowsTheEffectiveConfiguration) {
    TempDir dir;
    auto config = dir.write("fmi.json", R"({"hint": "fast", "redis": {"port": 7000}})");
    Subprocess run({fmirun, "--config", config.string(), "--print-config"}, {{"FMI_REDIS_PORT", "7001"}});
    EXPECT_EQ(run.wait(), 0) << run.err();
    EXPECT_THAT(run.out(), HasSubstr(R"("hint": "fast")"));
    EXPECT_THAT(run.out(), HasSubstr(R"("port": 7001)"));
}

// ---- what each peer sees --------------------------------------------------

class FmirunPeers : public ::testing::TestWithParam<int> {};

TEST_P(FmirunPeers, EachPeerSeesItsEnvironment) {
    const int n = GetParam();
    Subprocess run({fmirun, "-n", std::to_string(n), peer, "env"});
    ASSERT_EQ(run.wait(), 0) << run.err();
    auto environments = environments_in(run.out());
    ASSERT_EQ(environments.size(), static_cast<std::size_t>(n)) << run.out();
    const std::string comm = environments[0]["FMI_COMM"];
    EXPECT_THAT(comm, StartsWith("fmirun-"));
    std::set<pid_t> pids;
    for (int id = 0; id < n; ++id) {
        auto& env = environments[id];
        EXPECT_EQ(env["FMI_PEER_ID"], std::to_string(id));  // the prefix and the variable agree
        EXPECT_EQ(env["FMI_NUM_PEERS"], std::to_string(n));
        EXPECT_EQ(env["FMI_COMM"], comm);
        EXPECT_EQ(env["FMI_CONFIG"], "<unset>");
    }
    for (pid_t pid : pids_in(run.out())) pids.insert(pid);
    EXPECT_EQ(pids.size(), static_cast<std::size_t>(n));  // N distinct processes
}

INSTANTIATE_TEST_SUITE_P(WorldSizes, FmirunPeers, ::testing::Values(1, 3, 5));

TEST(Fmirun, DefaultCommunicatorNamesDifferBetweenRuns) {
    Subprocess first({fmirun, "-n", "1", peer, "env"});
    Subprocess second({fmirun, "-n", "1", peer, "env"});
    ASSERT_EQ(first.wait(), 0);
    ASSERT_EQ(second.wait(), 0);
    EXPECT_NE(environments_in(first.out())[0]["FMI_COMM"], environments_in(second.out())[0]["FMI_COMM"]);
}

TEST(Fmirun, CommAndRelativeConfigPathReachThePeers) {
    TempDir dir;
    dir.write("fmi.json", R"({"hint": "fast"})");
    // Run from the directory so "fmi.json" is relative; peers get it absolute.
    Subprocess run({fmirun, "-n", "2", "--comm", "job-7", "--config", "fmi.json", peer, "env"}, {},
                   dir.path().string());
    ASSERT_EQ(run.wait(), 0) << run.err();
    auto environments = environments_in(run.out());
    for (int id = 0; id < 2; ++id) {
        EXPECT_EQ(environments[id]["FMI_COMM"], "job-7");
        EXPECT_EQ(environments[id]["FMI_CONFIG"], (dir.path() / "fmi.json").string());
    }
}

TEST(Fmirun, ConfigFromTheEnvironmentIsUsedAndPassedOn) {
    TempDir dir;
    auto config = dir.write("fmi.json", R"({"direct": {"enabled": false}, "redis": {"enabled": true}})");
    Subprocess run({fmirun, "-n", "2", peer, "env"}, {{"FMI_CONFIG", config.string()}});
    ASSERT_EQ(run.wait(), 0) << run.err();
    auto environments = environments_in(run.out());
    EXPECT_EQ(environments[1]["FMI_CONFIG"], config.string());
    // The file disables the direct channel: no embedded rendezvous server.
    EXPECT_EQ(environments[1]["FMI_RENDEZVOUS"], "<unset>");
}

// ---- output --------------------------------------------------------------

TEST(Fmirun, PrefixesEveryLineWithoutInterleaving) {
    const int n = 3;
    Subprocess run({fmirun, "-n", std::to_string(n), peer, "output"});
    ASSERT_EQ(run.wait(), 0) << run.err();

    std::multiset<std::string> expected_out, expected_err, out, err;
    for (int id = 0; id < n; ++id) {
        const std::string prefix = "[" + std::to_string(id) + "] ";
        expected_out.insert(prefix + "line A from " + std::to_string(id));
        expected_out.insert(prefix + std::string(200000, static_cast<char>('a' + id)));
        expected_out.insert(prefix + "line B from " + std::to_string(id));
        expected_out.insert(prefix + "tail " + std::to_string(id));  // the partial last line
        expected_err.insert(prefix + "err from " + std::to_string(id));
    }
    for (const std::string& line : lines_of(run.out())) out.insert(line);
    for (const std::string& line : lines_of(run.err())) err.insert(line);
    EXPECT_TRUE(out == expected_out) << "stdout was:\n" << run.out().substr(0, 2000);
    EXPECT_TRUE(err == expected_err) << "stderr was:\n" << run.err();
    EXPECT_EQ(run.out().back(), '\n');
}

TEST(Fmirun, NoPrefixPassesOutputThrough) {
    Subprocess run({fmirun, "-n", "2", "--no-prefix", peer, "env"});
    ASSERT_EQ(run.wait(), 0) << run.err();
    std::set<std::string> lines;
    for (const std::string& line : lines_of(run.out())) lines.insert(line);
    EXPECT_TRUE(lines.count("FMI_PEER_ID=0"));
    EXPECT_TRUE(lines.count("FMI_PEER_ID=1"));
    for (const std::string& line : lines) EXPECT_NE(line[0], '[') << line;
}

TEST(Fmirun, BindCoresPutsPeerIOnTheIthUsableCpuRoundRobin) {
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    std::vector<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    const int n = static_cast<int>(cpus.size()) + 1;  // one more than the CPUs: the first is reused
    Subprocess run({fmirun, "-n", std::to_string(n), "--bind-cores", "sh", "-c",
                    "grep Cpus_allowed_list: /proc/self/status"});
    ASSERT_EQ(run.wait(), 0) << run.err();
    std::set<std::string> lines;
    for (const std::string& line : lines_of(run.out())) lines.insert(line);
    for (int id = 0; id < n; ++id) {
        const std::string expected = "[" + std::to_string(id) + "] Cpus_allowed_list:\t" +
                                     std::to_string(cpus[static_cast<std::size_t>(id) % cpus.size()]);
        EXPECT_TRUE(lines.count(expected)) << "missing '" << expected << "' in\n" << run.out();
    }
}

// ---- exit codes and stopping ---------------------------------------------

TEST(Fmirun, AllPeersSucceedingAtDifferentTimesGivesZero) {
    Subprocess run({fmirun, "-n", "4", peer, "stagger"});
    EXPECT_EQ(run.wait(), 0) << run.err();
    EXPECT_EQ(run.err(), "");
}

TEST(Fmirun, FailingPeerExitCodePropagatesAndTheOthersAreStopped) {
    TempDir dir;
    Subprocess run({fmirun, "-n", "4", peer, "fail", "2", "7", dir.path().string()});
    EXPECT_EQ(run.wait(), 7) << run.err();
    EXPECT_LT(run.elapsed(), prompt);  // the others sleep 60 s unless stopped
    EXPECT_THAT(run.err(), HasSubstr("peer 2 exited with code 7"));
    auto pids = pids_in(run.out());
    EXPECT_EQ(pids.size(), 3u);
    for (pid_t pid : pids) EXPECT_TRUE(process_gone(pid)) << "peer process " << pid << " survived";
}

TEST(Fmirun, PeerKilledBySignalGives128PlusSignal) {
    TempDir dir;
    Subprocess run({fmirun, "-n", "3", peer, "signal", "1", std::to_string(SIGUSR1), dir.path().string()});
    EXPECT_EQ(run.wait(), 128 + SIGUSR1) << run.err();
    EXPECT_LT(run.elapsed(), prompt);
    EXPECT_THAT(run.err(), HasSubstr("peer 1 was killed by signal " + std::to_string(SIGUSR1) + " (SIGUSR1)"));
    for (pid_t pid : pids_in(run.out())) EXPECT_TRUE(process_gone(pid));
}

TEST(Fmirun, PeersIgnoringSigtermAreKilledAfterTheGracePeriod) {
    TempDir dir;
    Subprocess run({fmirun, "-n", "3", "--grace", "0.5", peer, "fail", "0", "9", dir.path().string(),
                    "--ignore-term"});
    EXPECT_EQ(run.wait(), 9) << run.err();
    EXPECT_LT(run.elapsed(), prompt);
    EXPECT_THAT(run.err(), HasSubstr("sending SIGKILL"));
    auto pids = pids_in(run.out());
    EXPECT_EQ(pids.size(), 2u);
    for (pid_t pid : pids) EXPECT_TRUE(process_gone(pid));
}

TEST(Fmirun, TimeoutStopsEverythingWithExitCode124) {
    Subprocess run({fmirun, "-n", "2", "--timeout", "1", peer, "sleep", "60"});
    EXPECT_EQ(run.wait(), 124) << run.err();
    EXPECT_LT(run.elapsed(), prompt);
    EXPECT_THAT(run.err(), HasSubstr("timeout: 1 s elapsed"));
    for (pid_t pid : pids_in(run.out())) EXPECT_TRUE(process_gone(pid));
}

class FmirunForwards : public ::testing::TestWithParam<int> {};

TEST_P(FmirunForwards, SignalsToThePeers) {
    const int signal_number = GetParam();
    Subprocess run({fmirun, "-n", "2", peer, "sleep", "60"});
    // Wait until both peers run (each printed its pid).
    ASSERT_TRUE(run.read_until([](const std::string& out, const std::string&) { return pids_in(out).size() == 2; },
                               prompt));
    ::kill(run.pid(), signal_number);
    EXPECT_EQ(run.wait(), 128 + signal_number) << run.err();
    EXPECT_LT(run.elapsed(), prompt);
    EXPECT_THAT(run.err(), HasSubstr("forwarding it to the 2 running peer(s)"));
    for (pid_t pid : pids_in(run.out())) EXPECT_TRUE(process_gone(pid));
}

INSTANTIATE_TEST_SUITE_P(Signals, FmirunForwards, ::testing::Values(SIGINT, SIGTERM));

// ---- the embedded rendezvous server ---------------------------------------

TEST(Fmirun, EmbeddedRendezvousServerPairsThePeers) {
    const int n = 3;
    Subprocess run({fmirun, "-n", std::to_string(n), "--comm", "rv-test", peer, "rendezvous"});
    ASSERT_EQ(run.wait(), 0) << run.out() << run.err();
    std::set<std::string> addresses;
    int answered = 0;
    for (const std::string& line : lines_of(run.out())) {
        auto [id, rest] = split_prefix(line);
        // "rendezvous 127.0.0.1:PORT comm rv-test peers 0,1,2"
        std::istringstream words(rest);
        std::string word, address, comm_word, comm, peers_word, ids;
        words >> word >> address >> comm_word >> comm >> peers_word >> ids;
        if (word != "rendezvous") continue;
        ++answered;
        addresses.insert(address);
        EXPECT_EQ(comm, "rv-test");
        EXPECT_EQ(ids, "0,1,2");
    }
    EXPECT_EQ(answered, n);
    ASSERT_EQ(addresses.size(), 1u);  // one server for all peers
    EXPECT_THAT(*addresses.begin(), StartsWith("127.0.0.1:"));
}

TEST(Fmirun, ConfiguredRendezvousIsPassedOnWithoutEmbeddedServer) {
    Subprocess run({fmirun, "-n", "2", peer, "env"}, {{"FMI_RENDEZVOUS", "10.1.2.3:7777"}});
    ASSERT_EQ(run.wait(), 0) << run.err();
    auto environments = environments_in(run.out());
    EXPECT_EQ(environments[0]["FMI_RENDEZVOUS"], "10.1.2.3:7777");
    EXPECT_EQ(environments[1]["FMI_RENDEZVOUS"], "10.1.2.3:7777");
}

TEST(Fmirun, RendezvousPortInTheConfigMeansNoEmbeddedServer) {
    TempDir dir;
    auto config = dir.write("fmi.json", R"({"direct": {"rendezvous": "127.0.0.1:7999"}})");
    Subprocess run({fmirun, "-n", "1", "--config", config.string(), peer, "env"});
    ASSERT_EQ(run.wait(), 0) << run.err();
    EXPECT_EQ(environments_in(run.out())[0]["FMI_RENDEZVOUS"], "<unset>");
}

}  // namespace
}  // namespace fmi
