#include "rgw_fixture.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <unistd.h>

namespace fmi::test {
namespace {

RgwCluster* g_cluster = nullptr;  // owned by the gtest environment below

std::string run_command(const std::string& command, int& status) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
    if (!pipe) throw std::runtime_error("cannot run " + command);
    std::string output;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), pipe.get())) output += buf.data();
    status = pclose(pipe.release());
    return output;
}

class RgwEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        cluster_ = std::make_unique<RgwCluster>();
        g_cluster = cluster_.get();
    }
    void TearDown() override {
        g_cluster = nullptr;
        cluster_.reset();
    }

private:
    std::unique_ptr<RgwCluster> cluster_;
};

}  // namespace

RgwCluster::RgwCluster() {
    std::string last_output;
    // A free port may be taken between choosing and binding: try again.
    for (int attempt = 0; attempt < 3; ++attempt) {
        char templ[] = "/tmp/fmi-rgw-XXXXXX";
        if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp failed");
        dir_ = templ;
        int status = 0;
        // --owner-pid: should this binary be killed, a watchdog stops the cluster.
        last_output = run_command(std::string(FMI_RGW_START) + " " + dir_ + " --owner-pid " +
                                      std::to_string(getpid()),
                                  status);
        if (status == 0) {
            std::ifstream env(dir_ + "/env");
            std::string line;
            while (std::getline(env, line)) {
                auto eq = line.find('=');
                if (eq == std::string::npos) continue;
                std::string name = line.substr(0, eq), value = line.substr(eq + 1);
                if (name == "FMI_S3_ENDPOINT") info_.endpoint = value;
                if (name == "FMI_S3_REGION") info_.region = value;
                if (name == "FMI_S3_BUCKET") info_.bucket = value;
                if (name == "FMI_S3_ACCESS_KEY_ID") info_.access_key = value;
                if (name == "FMI_S3_SECRET_ACCESS_KEY") info_.secret_key = value;
                if (name == "FMI_S3_DNS_NAME") info_.dns_name = value;
            }
            if (!info_.endpoint.empty()) return;
        }
        std::system(("rm -rf " + dir_).c_str());
    }
    throw std::runtime_error("could not start Ceph RGW with " + std::string(FMI_RGW_START) + ":\n" + last_output);
}

RgwCluster::~RgwCluster() {
    int status = 0;
    run_command(std::string(FMI_RGW_STOP) + " " + dir_, status);  // stops the daemons, removes dir_
}

const RgwInfo& rgw() {
    if (!g_cluster) throw std::logic_error("the RGW test environment is not running");
    return g_cluster->info();
}

S3Options rgw_options() {
    const RgwInfo& info = rgw();
    S3Options o;
    o.enabled = true;
    o.endpoint = info.endpoint;
    o.region = info.region;
    o.bucket = info.bucket;
    o.path_style = true;
    o.access_key_id = info.access_key;
    o.secret_access_key = info.secret_key;
    o.key_prefix = "fmi-test";
    o.connect_timeout = std::chrono::milliseconds(2'000);
    o.request_timeout = std::chrono::milliseconds(20'000);
    o.poll_initial = std::chrono::milliseconds(1);
    o.poll_max = std::chrono::milliseconds(20);
    o.multipart_threshold = 16 * 1024;
    o.finalize_timeout = std::chrono::milliseconds(30'000);
    return o;
}

TestClient::TestClient(const S3Options& options)
    : client(options, detail::s3::resolve_credentials(options, detail::s3::getenv_lookup()), log) {}

}  // namespace fmi::test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new fmi::test::RgwEnvironment);
    return RUN_ALL_TESTS();
}
