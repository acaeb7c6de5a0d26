// A real S3 server for the tests: a single-host Ceph RADOS Gateway started by
// scripts/s3/start-rgw.sh under a fresh temporary directory on free loopback
// ports, once per test binary, and stopped (radosgw, OSD, monitor, one after
// another) when the binary ends. RAII: RgwCluster's destructor stops it.
#pragma once

#include "channels/s3/credentials.hpp"
#include "channels/s3/s3_client.hpp"
#include "core/logger.hpp"

#include <fmi/config.hpp>

#include <string>

namespace fmi::test {

struct RgwInfo {
    std::string endpoint;  ///< http://127.0.0.1:PORT
    std::string region;
    std::string bucket;
    std::string access_key;
    std::string secret_key;
    std::string dns_name;  ///< for virtual-hosted addressing: http://BUCKET.<dns_name>:PORT
};

/// Starts the cluster in its constructor (throws with the script's output on
/// failure) and stops it in its destructor.
class RgwCluster {
public:
    RgwCluster();
    ~RgwCluster();
    RgwCluster(const RgwCluster&) = delete;
    RgwCluster& operator=(const RgwCluster&) = delete;
    const RgwInfo& info() const noexcept { return info_; }

private:
    std::string dir_;
    RgwInfo info_;
};

/// The running cluster of this test binary.
const RgwInfo& rgw();

/// Options for the test gateway: path-style, explicit keys, fast polling,
/// a small multipart threshold (the gateway accepts 4 KiB parts).
S3Options rgw_options();

/// A client of the test bucket, for looking at what the channel left.
struct TestClient {
    detail::Logger log;
    detail::s3::S3Client client;
    explicit TestClient(const S3Options& options = rgw_options());
};

}  // namespace fmi::test
