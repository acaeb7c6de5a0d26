// Errors that report a failure already announced to every peer (an entry in
// the communicator's abort stream): the backend does not announce them again.
#pragma once

#include <fmi/errors.hpp>

namespace fmi::detail::redis {

/// The peers called different operations (seen by the enter script, or
/// announced by another peer).
class RemoteMismatchError : public MismatchError {
public:
    using MismatchError::MismatchError;
};

/// Another peer failed and said so.
class RemoteFailureError : public PeerLostError {
public:
    using PeerLostError::PeerLostError;
};

}  // namespace fmi::detail::redis
