// fmirun's parts in-process: argument parsing and the line prefixer (chunk
// boundaries, over-long lines, partial last lines, a closed output).
#include "line_prefixer.hpp"
#include "options.hpp"
#include "supervisor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fmirun {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- arguments -------------------------------------------------------------

TEST(Arguments, AllOptions) {
    RunOptions o = parse_arguments({"-n", "4", "--config", "c.json", "--comm", "job", "--timeout", "2.5",
                                    "--grace=0", "--no-prefix", "--", "prog", "-n", "9", "--help"});
    EXPECT_EQ(o.num_peers, 4);
    EXPECT_EQ(o.config_path, std::filesystem::path("c.json"));
    EXPECT_EQ(o.comm, "job");
    EXPECT_EQ(o.timeout, 2500ms);
    EXPECT_EQ(o.grace, 0ms);
    EXPECT_FALSE(o.prefix);
    EXPECT_FALSE(o.help);  // after "--": the program's arguments
    EXPECT_THAT(o.command, ElementsAre("prog", "-n", "9", "--help"));
}

TEST(Arguments, OptionsEndAtTheProgram) {
    RunOptions o = parse_arguments({"-n3", "prog", "--timeout", "5"});
    EXPECT_EQ(o.num_peers, 3);
    EXPECT_FALSE(o.timeout.has_value());
    EXPECT_THAT(o.command, ElementsAre("prog", "--timeout", "5"));
}

TEST(Arguments, Defaults) {
    RunOptions o = parse_arguments({"--num-peers=2", "prog"});
    EXPECT_EQ(o.num_peers, 2);
    EXPECT_FALSE(o.config_path.has_value());
    EXPECT_FALSE(o.comm.has_value());
    EXPECT_FALSE(o.timeout.has_value());
    EXPECT_EQ(o.grace, 3000ms);
    EXPECT_TRUE(o.prefix);
}

TEST(Arguments, HelpNeedsNothingElse) { EXPECT_TRUE(parse_arguments({"--help"}).help); }

TEST(Arguments, Errors) {
    auto message = [](std::vector<std::string> args) -> std::string {
        try {
            parse_arguments(args);
        } catch (const ArgumentError& error) {
            return error.what();
        }
        return "no error";
    };
    EXPECT_THAT(message({"-n", "2", "--timeout", "0", "p"}), HasSubstr("--timeout: must be more than 0"));
    EXPECT_THAT(message({"-n", "2", "--timeout", "1e9", "p"}), HasSubstr("at most 2592000 seconds"));
    EXPECT_THAT(message({"-n", "2", "--grace", "-1", "p"}), HasSubstr("--grace: must be at least 0"));
    EXPECT_THAT(message({"-n", "2", "--no-prefix=1", "p"}), HasSubstr("unknown option '--no-prefix=1'"));
    EXPECT_THAT(message({"-n", "2", "--comm", "a\tb", "p"}), HasSubstr("control characters"));
    EXPECT_THAT(message({"-n", "2.5", "p"}), HasSubstr("expected a number of peers"));
    EXPECT_THAT(message({"-n", "2", "--config"}), HasSubstr("--config: missing value"));
}

// ---- wait statuses ---------------------------------------------------------

TEST(WaitStatus, ExitCodesAndSignals) {
    pid_t child = ::fork();
    if (child == 0) ::_exit(42);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_EQ(exit_code_of(status), 42);
    EXPECT_EQ(describe_wait_status(status), "exited with code 42");

    child = ::fork();
    if (child == 0) {
        ::kill(::getpid(), SIGKILL);
        ::_exit(0);
    }
    ::waitpid(child, &status, 0);
    EXPECT_EQ(exit_code_of(status), 128 + SIGKILL);
    EXPECT_EQ(describe_wait_status(status), "was killed by signal 9 (SIGKILL)");
}

// ---- line prefixer ---------------------------------------------------------

// An in-memory file to catch what a sink writes.
class MemoryFile {
public:
    MemoryFile() : fd_(::memfd_create("prefixer-test", 0)) {}
    ~MemoryFile() { ::close(fd_); }
    int fd() const { return fd_; }
    std::string contents() const {
        std::string text;
        char buffer[4096];
        ssize_t n;
        off_t offset = 0;
        while ((n = ::pread(fd_, buffer, sizeof buffer, offset)) > 0) {
            text.append(buffer, static_cast<std::size_t>(n));
            offset += n;
        }
        return text;
    }

private:
    int fd_;
};

std::string prefixed(const std::vector<std::string>& chunks, std::size_t max_line = LinePrefixer::default_max_line_bytes) {
    MemoryFile file;
    OutputSink sink(file.fd());
    LinePrefixer prefixer("[7] ", sink, max_line);
    for (const std::string& chunk : chunks) prefixer.feed(chunk);
    prefixer.finish();
    return file.contents();
}

TEST(LinePrefixer, PrefixesEveryLine) {
    EXPECT_EQ(prefixed({"a\nbb\n"}), "[7] a\n[7] bb\n");
    EXPECT_EQ(prefixed({"\n\n"}), "[7] \n[7] \n");  // empty lines are lines
    EXPECT_EQ(prefixed({}), "");
}

TEST(LinePrefixer, ChunkBoundariesDoNotMatter) {
    const std::string text = "first line\nsecond\n\nthird without end";
    const std::string expected = "[7] first line\n[7] second\n[7] \n[7] third without end\n";
    EXPECT_EQ(prefixed({text}), expected);
    std::vector<std::string> bytes;
    for (char c : text) bytes.emplace_back(1, c);
    EXPECT_EQ(prefixed(bytes), expected);
    EXPECT_EQ(prefixed({"first li", "ne\nsec", "ond\n\nthird", " without end"}), expected);
}

TEST(LinePrefixer, PartialLastLineGetsANewline) {
    EXPECT_EQ(prefixed({"done"}), "[7] done\n");
}

TEST(LinePrefixer, OverlongLinesAreSplitNotLost) {
    EXPECT_EQ(prefixed({"abcdefghijkl\n"}, 8), "[7] abcdefgh\n[7] ijkl\n");
    EXPECT_EQ(prefixed({"abcd", "efghij", "kl"}, 8), "[7] abcdefgh\n[7] ijkl\n");
    EXPECT_EQ(prefixed({"abcdefgh\n"}, 8), "[7] abcdefgh\n");  // exactly the limit: one line
}

TEST(LinePrefixer, ClosedOutputIsDroppedWithoutFailing) {
    std::signal(SIGPIPE, SIG_IGN);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[0]);
    OutputSink sink(fds[1]);
    LinePrefixer prefixer("[0] ", sink);
    prefixer.feed("lost\n");
    EXPECT_TRUE(sink.broken());
    prefixer.feed("also lost\n");
    prefixer.finish();
    ::close(fds[1]);
}

}  // namespace
}  // namespace fmirun
