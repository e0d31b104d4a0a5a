// The blocking RPC client of the command-line tools.
//
// A tool makes one call at a time and waits for its answer with a deadline,
// so a plain blocking socket with poll() is all it needs; daemons use the
// event-driven rpc::Connection instead. Failures become ClientError with the
// exit status the tool should end with and a one-line message.
#pragma once

#include "core/rpc_wire.hpp"
#include "core/value.hpp"

#include <deque>
#include <functional>
#include <stdexcept>
#include <string>

namespace sr {

struct ClientError : std::runtime_error {
    int exit_code;
    std::string code;  // the RPC error code, when the daemon sent one
    ClientError(int exit_code_, std::string code_, const std::string& message)
        : std::runtime_error(message), exit_code(exit_code_), code(std::move(code_)) {}
};

// The runtime directory: the option's value, else $SR_RUNTIME_DIR, else
// /run/sr for root and $XDG_RUNTIME_DIR/sr (or /tmp/sr-UID) for others.
// Unchecked; see runtime_dir.hpp.
std::string resolve_runtime_dir(const std::string& option_value);
// The same, checked for a client (check_runtime_dir_for_client): a
// squatted default directory throws Error("config").
std::string checked_runtime_dir(const std::string& option_value);
// DIR/NAME.sock for a daemon name such as "dhtd".
std::string socket_path(const std::string& runtime_dir, const std::string& daemon);

class Client {
  public:
    // Throws ClientError(69) when nothing listens at path.
    Client(const std::string& path, int timeout_ms = 10'000);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // The result of method(params); a daemon error becomes ClientError with
    // exit_for_error_code(code).
    Value call(const std::string& method, const Value& params = Value::object());
    // Sends a request, then hands every notification to on_note until it
    // returns false or the connection ends. The response comes first.
    // on_first sees the response before any notification; when it returns
    // false the stream ends there.
    Value stream(const std::string& method, const Value& params,
                 const std::function<bool(const std::string& method, const Value& params)>& on_note,
                 const std::function<bool(const Value& first)>& on_first = nullptr);
    const std::string& path() const { return path_; }

  private:
    rpc::Message read_message(int timeout_ms);
    void send_all(const std::string& bytes);

    std::string path_;
    int fd_ = -1;
    int timeout_ms_;
    std::uint32_t next_id_ = 1;
    rpc::FrameReader reader_;
    std::deque<rpc::Message> early_;  // notifications that came while call() waited
};

}  // namespace sr
