// fmi-cleanup: removes a communicator's leftover objects from an S3 bucket.
//
// A job deletes its objects when it finishes; a job that crashed or was
// killed leaves them under <key_prefix>/<communicator>/ until the bucket's
// lifecycle rule expires them (docs/channels/s3.md). This command removes
// them now, by communicator name, with one LIST and one DeleteObjects per
// 1000 objects. It lists only that communicator's prefix: never the bucket,
// never another communicator (not even "App1" next to "App").
//
//   fmi-cleanup --s3-bucket B --comm NAME [--s3-endpoint URL] [--s3-region R]
//               [--s3-path-style] [--s3-profile P] [--s3-access-key-id K
//               --s3-secret-access-key S [--s3-session-token T]]
//               [--s3-key-prefix fmi] [--timeout-ms 60000] [--dry-run] [--verbose]
//
// Credentials as the S3 channel finds them: the options, else
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, else the shared
// credentials file (AWS_PROFILE or --s3-profile). Exit status: 0 done,
// 1 an error (message on stderr), 2 bad usage.
#include "cleanup.hpp"

#include "channels/s3/credentials.hpp"
#include "core/logger.hpp"

#include <fmi/errors.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: fmi-cleanup --s3-bucket B --comm NAME [--s3-endpoint URL] [--s3-region R]\n"
    "                   [--s3-path-style] [--s3-profile P] [--s3-access-key-id K\n"
    "                   --s3-secret-access-key S [--s3-session-token T]]\n"
    "                   [--s3-key-prefix PREFIX] [--timeout-ms MS] [--dry-run] [--verbose]\n"
    "Deletes every object of communicator NAME (under PREFIX/NAME/, PREFIX defaults to fmi)\n"
    "from bucket B with DeleteObjects. --dry-run only lists them.\n";

struct Arguments {
    fmi::S3Options s3;
    std::string comm;
    std::chrono::milliseconds timeout{60'000};
    bool dry_run = false;
    bool verbose = false;
};

[[noreturn]] void usage_error(const std::string& message) {
    std::cerr << "fmi-cleanup: " << message << "\n" << kUsage;
    std::exit(2);
}

Arguments parse(int argc, char** argv) {
    Arguments a;
    a.s3.enabled = true;
    bool have_bucket = false, have_comm = false;
    std::map<std::string, std::string*> text_options{
        {"--s3-bucket", &a.s3.bucket},          {"--comm", &a.comm},
        {"--s3-endpoint", &a.s3.endpoint},      {"--s3-region", &a.s3.region},
        {"--s3-profile", &a.s3.profile},        {"--s3-access-key-id", &a.s3.access_key_id},
        {"--s3-secret-access-key", &a.s3.secret_access_key},
        {"--s3-session-token", &a.s3.session_token}, {"--s3-key-prefix", &a.s3.key_prefix}};
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool inline_value = false;
        if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            inline_value = true;
        }
        auto next = [&]() -> std::string {
            if (inline_value) return value;
            if (i + 1 >= argc) usage_error(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "-h" || arg == "--help") {
            std::cout << kUsage;
            std::exit(0);
        } else if (auto it = text_options.find(arg); it != text_options.end()) {
            *it->second = next();
            have_bucket = have_bucket || arg == "--s3-bucket";
            have_comm = have_comm || arg == "--comm";
        } else if (arg == "--s3-path-style") {
            a.s3.path_style = true;
        } else if (arg == "--dry-run") {
            a.dry_run = true;
        } else if (arg == "--verbose") {
            a.verbose = true;
        } else if (arg == "--timeout-ms") {
            std::string v = next();
            try {
                a.timeout = std::chrono::milliseconds(std::stoll(v));
            } catch (const std::exception&) {
                usage_error("--timeout-ms: '" + v + "' is not a number of milliseconds");
            }
        } else {
            usage_error("unknown argument '" + arg + "'");
        }
    }
    if (!have_bucket || a.s3.bucket.empty()) usage_error("--s3-bucket is required");
    if (!have_comm || a.comm.empty()) usage_error("--comm is required");
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    Arguments args = parse(argc, argv);
    try {
        using namespace fmi::detail;
        Logger log(LogLevel::warn, "fmi-cleanup");
        s3::S3Client client(args.s3, s3::resolve_credentials(args.s3, s3::getenv_lookup()), log);
        s3::KeySpace keys(args.s3.key_prefix, args.comm);
        Deadline deadline(args.timeout);
        s3::CleanupResult result = s3::remove_communicator_objects(client, keys, deadline, args.dry_run);
        if (args.verbose || args.dry_run)
            for (const std::string& key : result.keys) std::cout << key << "\n";
        std::cout << "fmi-cleanup: " << (args.dry_run ? "found " : "deleted ") << result.objects << " object(s), "
                  << result.bytes << " bytes, under s3://" << args.s3.bucket << "/" << keys.root() << " ("
                  << client.counts().to_string() << ")\n";
        return 0;
    } catch (const fmi::Error& e) {
        std::cerr << "fmi-cleanup: " << e.what() << "\n";
        return 1;
    }
}
