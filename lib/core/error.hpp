// Typed errors shared by every module.
//
// DecodeError: outside input (a frame, an overlay message, a file) was
// malformed. Decoders throw it; the I/O boundary catches it once, counts it
// and drops or answers, and the daemon goes on.
//
// Error: a failure with a stable code from the registry in sr-rpc(7)
// ("not_found", "too_large", ...). RPC methods throw it and the dispatcher
// turns it into the response's error map.
#pragma once

#include <stdexcept>
#include <string>

namespace sr {

struct DecodeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Error : std::runtime_error {
    std::string code;
    Error(std::string code_, const std::string& message) : std::runtime_error(message), code(std::move(code_)) {}
};

}  // namespace sr
