// Typed errors of fmi. Every error derives from fmi::Error; messages name the
// operation, the peer, the sizes and the elapsed versus allowed time where they
// apply, so a log line alone tells what went wrong.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace fmi {

/// Root of every exception fmi throws.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A configuration file, field or environment variable is missing or invalid.
class ConfigError : public Error {
public:
    ConfigError(std::string field, const std::string& what)
        : Error("configuration: " + field + ": " + what), field_(std::move(field)) {}
    /// Dotted path of the offending field, e.g. "redis.port" or "FMI_NUM_PEERS".
    const std::string& field() const noexcept { return field_; }

private:
    std::string field_;
};

/// The caller used the API wrongly on this peer (invalid root or peer id,
/// buffer sizes that disagree locally, an op the type does not support).
class UsageError : public Error {
public:
    using Error::Error;
};

/// Two peers disagree on the size of a message: never truncated, never padded.
class SizeMismatchError : public Error {
public:
    SizeMismatchError(const std::string& operation, int peer, std::size_t expected_bytes,
                      std::size_t actual_bytes)
        : Error(operation + ": peer " + std::to_string(peer) + " sent " +
                std::to_string(actual_bytes) + " bytes but this peer expected " +
                std::to_string(expected_bytes) + " bytes"),
          peer_(peer), expected_(expected_bytes), actual_(actual_bytes) {}
    int peer() const noexcept { return peer_; }
    std::size_t expected_bytes() const noexcept { return expected_; }
    std::size_t actual_bytes() const noexcept { return actual_; }

private:
    int peer_;
    std::size_t expected_, actual_;
};

/// Peers called different operations at the same point of their sequence
/// (e.g. one calls bcast while its partner calls allreduce).
class MismatchError : public Error {
public:
    using Error::Error;
};

/// An operation did not complete within its deadline.
class TimeoutError : public Error {
public:
    TimeoutError(const std::string& what, std::chrono::milliseconds elapsed,
                 std::chrono::milliseconds allowed)
        : Error(what + " timed out after " + std::to_string(elapsed.count()) + " ms (allowed " +
                std::to_string(allowed.count()) + " ms)"),
          elapsed_(elapsed), allowed_(allowed) {}
    std::chrono::milliseconds elapsed() const noexcept { return elapsed_; }
    std::chrono::milliseconds allowed() const noexcept { return allowed_; }

private:
    std::chrono::milliseconds elapsed_, allowed_;
};

/// Input/output failure talking to a peer or a server (socket, Redis, S3).
class IoError : public Error {
public:
    using Error::Error;
};

/// A peer went away (connection closed or reset) in the middle of the job.
class PeerLostError : public IoError {
public:
    PeerLostError(const std::string& what, int peer) : IoError(what), peer_(peer) {}
    int peer() const noexcept { return peer_; }

private:
    int peer_;
};

/// A server (rendezvous, Redis, S3) answered with an error.
class ServerError : public IoError {
public:
    using IoError::IoError;
};

/// A server refused our credentials (wrong password, secret or signature).
class AuthError : public ServerError {
public:
    using ServerError::ServerError;
};

}  // namespace fmi
