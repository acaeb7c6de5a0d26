// Configuration: one typed struct, parsed once at the edge from a JSON file
// (ours or the original FMI's format, see docs/configuration.md) and from
// FMI_* environment variables, which override the file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace fmi {

/// What the channel selection optimises for.
enum class Hint { fast, cheap };

/// The channels a communicator can use.
enum class ChannelKind { direct, redis, s3 };

const char* to_string(Hint hint) noexcept;
const char* to_string(ChannelKind kind) noexcept;

/// Direct TCP between peers, paired through an fmi-rendezvous server.
struct DirectOptions {
    bool enabled = true;
    /// Rendezvous server. Port 0 means "not configured": fmirun then starts an
    /// embedded server and passes it in FMI_RENDEZVOUS (host:port).
    std::string rendezvous_host = "127.0.0.1";
    std::uint16_t rendezvous_port = 0;
    /// Address the peer listens on for its partners (port chosen by the OS).
    std::string listen_host = "0.0.0.0";
    /// How long a peer waits for all partners to register and connect.
    std::chrono::milliseconds connect_timeout{60'000};
    /// Shared secret proving membership of the communicator to the server
    /// (empty: no authentication).
    std::string secret;
    /// Kernel socket buffer sizes in bytes (0: the system default).
    std::size_t socket_buffer_bytes = 0;
    /// Longest spin on non-blocking reads before a receiver blocks in poll
    /// (adapts below this; 0 disables). Spinning cuts small-message latency
    /// on idle cores and costs CPU on oversubscribed ones.
    std::chrono::microseconds spin{50};
    /// Relay through the rendezvous server when two peers cannot connect
    /// directly (NAT traversal, docs/rendezvous.md): automatic after
    /// punch_timeout, forced for every pair, or never (then connect_timeout
    /// ends the set-up with a TimeoutError).
    enum class Relay { automatic, force, never };
    Relay relay = Relay::automatic;
    /// How long direct connection attempts (hole punching included) may take
    /// before a pair falls back to the relay.
    std::chrono::milliseconds punch_timeout{5'000};
};

/// A Redis server (ElastiCache, a VM, a local redis-server).
struct RedisOptions {
    bool enabled = false;
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string user;      ///< ACL user (empty: AUTH with the password only)
    std::string password;  ///< empty: no AUTH
    int database = 0;
    std::chrono::milliseconds connect_timeout{5'000};
    /// Socket timeout for commands that do not block server-side.
    std::chrono::milliseconds command_timeout{10'000};
    std::string key_prefix = "fmi";
    /// Every key expires after this long, so a crashed job leaves nothing.
    std::chrono::seconds key_ttl{3'600};
    /// Payloads larger than this are split into chunks of this size.
    std::size_t chunk_bytes = 512u << 10;  // measured: 4 MiB chunks page-fault inside Redis (docs/channels/redis.md)
};

/// An S3 bucket on AWS or any S3-compatible store.
struct S3Options {
    bool enabled = false;
    std::string endpoint;  ///< empty: AWS (https://s3.<region>.amazonaws.com)
    std::string region = "us-east-1";
    std::string bucket;
    bool path_style = false;  ///< path-style addressing (required by most non-AWS stores)
    std::string access_key_id;      ///< empty: from the AWS environment / credentials file
    std::string secret_access_key;
    std::string session_token;
    std::string profile;            ///< profile in the shared credentials file
    std::string key_prefix = "fmi";
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds request_timeout{30'000};
    /// Polling back-off for waits: first interval and cap.
    std::chrono::milliseconds poll_initial{5};
    std::chrono::milliseconds poll_max{200};
    int max_retries = 5;
    /// Payloads larger than this use a parallel multipart upload.
    std::size_t multipart_threshold = 16u << 20;
    /// Concurrent requests for the parts of one large upload or download
    /// (added by the S3 channel).
    std::size_t parallel_transfers = 4;
    /// How long peer 0 waits at finalize for every peer to finish before it
    /// deletes the communicator's objects; after that they are left to the
    /// bucket's lifecycle rule and fmi-cleanup (added by the S3 channel).
    std::chrono::milliseconds finalize_timeout{60'000};
};

/// Everything a communicator needs to know about its environment.
struct Config {
    DirectOptions direct;
    RedisOptions redis;
    S3Options s3;
    /// Deadline of every operation (0 = use the default of 60 s).
    std::chrono::milliseconds timeout{60'000};
    /// Default selection objective (the original's default is cheap).
    Hint hint = Hint::cheap;
    /// Pin every operation to one channel (unset: chosen per operation).
    std::optional<ChannelKind> channel;
    /// trace, debug, info, warn, error, off
    std::string log_level = "warn";
    /// Memory of each function in MiB (prices FaaS GB-seconds).
    std::size_t faas_memory_mib = 128;
    /// The "model" section (channel parameters and prices) as JSON text,
    /// validated as an object and interpreted by the channel selection.
    std::string model_json = "{}";
};

/// Looks up an environment variable; returns nullopt when unset. Injected so
/// tests do not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The process environment (getenv).
EnvLookup process_environment();

/// Parses a configuration document. Accepts our format and the original
/// FMI's ("backends"/"model") unchanged. Unknown or invalid fields throw
/// ConfigError naming the field; `origin` (a path) is named in errors.
Config parse_config(std::string_view json_text, std::string_view origin = "<string>");

/// Reads and parses a configuration file.
Config load_config(const std::filesystem::path& path);

/// Applies FMI_* environment overrides (see docs/configuration.md) in place.
void apply_environment(Config& config, const EnvLookup& env);

}  // namespace fmi
