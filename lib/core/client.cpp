#include "core/client.hpp"

#include "core/error.hpp"
#include "core/exit.hpp"
#include "core/runtime_dir.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sr {

std::string resolve_runtime_dir(const std::string& option_value) { return find_runtime_dir(option_value).path; }

std::string checked_runtime_dir(const std::string& option_value) {
    RuntimeDir dir = find_runtime_dir(option_value);
    check_runtime_dir_for_client(dir);
    return dir.path;
}

std::string socket_path(const std::string& runtime_dir, const std::string& daemon) {
    return runtime_dir + "/" + daemon + ".sock";
}

Client::Client(const std::string& path, int timeout_ms)
    : path_(path), timeout_ms_(timeout_ms), reader_(64 << 20) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof sun.sun_path) throw ClientError(exit_usage, "", "socket path too long: " + path);
    std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
        int err = errno;
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        throw ClientError(err == EACCES ? exit_noperm : exit_unavailable, "unavailable",
                          "cannot connect to " + path + ": " + std::strerror(err));
    }
}

Client::~Client() {
    if (fd_ >= 0) ::close(fd_);
}

void Client::send_all(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw ClientError(exit_io, "", "write to " + path_ + ": " + std::strerror(errno));
        off += static_cast<std::size_t>(n);
    }
}

rpc::Message Client::read_message(int timeout_ms) {
    msgpack::object_handle oh;
    try {
        while (!reader_.next(oh)) {
            pollfd p{fd_, POLLIN, 0};
            int r = ::poll(&p, 1, timeout_ms);
            if (r < 0 && errno == EINTR) continue;
            if (r == 0) throw ClientError(exit_tempfail, "timeout", "no answer from " + path_ + " within " +
                                                                        std::to_string(timeout_ms) + " ms");
            char buf[65536];
            ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw ClientError(exit_io, "", "read from " + path_ + ": " + std::strerror(errno));
            if (n == 0) throw ClientError(exit_unavailable, "unavailable", path_ + " closed the connection");
            reader_.feed(buf, static_cast<std::size_t>(n));
        }
        return rpc::decode_message(oh.get());
    } catch (const DecodeError& e) {
        throw ClientError(exit_protocol, "protocol", "bad answer from " + path_ + ": " + e.what());
    }
}

static Value unwrap(const rpc::Message& m) {
    if (!m.error.is_null()) {
        std::string code = m.error.is_object() && m.error.contains("code") && m.error["code"].is_string()
                               ? m.error["code"].get<std::string>()
                               : "internal";
        std::string message = m.error.is_object() && m.error.contains("message") && m.error["message"].is_string()
                                  ? m.error["message"].get<std::string>()
                                  : m.error.dump();
        throw ClientError(exit_for_error_code(code), code, code + ": " + message);
    }
    return m.result;
}

Value Client::call(const std::string& method, const Value& params) {
    std::uint32_t id = next_id_++;
    send_all(rpc::encode_request(id, method, params));
    for (;;) {
        rpc::Message m = read_message(timeout_ms_);
        if (m.kind == rpc::Kind::response && m.msgid == id) return unwrap(m);
        if (m.kind != rpc::Kind::notification) continue;
        if (m.method == "sys.error") unwrap({rpc::Kind::response, 0, "", {}, m.params, {}});
        if (early_.size() < 10'000) early_.push_back(std::move(m));  // for stream()
    }
}

Value Client::stream(const std::string& method, const Value& params,
                     const std::function<bool(const std::string&, const Value&)>& on_note,
                     const std::function<bool(const Value&)>& on_first) {
    Value first = call(method, params);
    if (on_first && !on_first(first)) return first;
    for (; !early_.empty(); early_.pop_front())
        if (!on_note(early_.front().method, early_.front().params)) return first;
    for (;;) {
        rpc::Message m = read_message(-1);  // the daemon going away ends the stream with exit 69
        if (m.kind == rpc::Kind::notification && !on_note(m.method, m.params)) return first;
    }
}

}  // namespace sr
