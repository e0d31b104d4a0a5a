// lib/core/rpc and client: a real Loop with an rpc::Server on a Unix socket in
// a temporary directory, driven by the blocking sr::Client (or raw sockets)
// on another thread, or by rpc::connect_unix on the same loop.
#include "core/client.hpp"
#include "core/error.hpp"
#include "core/exit.hpp"
#include "core/id.hpp"
#include "core/loop.hpp"
#include "core/rpc.hpp"

#include <gtest/gtest.h>

#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using sr::Value;
using namespace sr::rpc;

// A plain blocking socket for saying what sr::Client never would.
class RawSocket {
  public:
    explicit RawSocket(const std::string& path) : reader_(64 << 20) {
        sockaddr_un sun{};
        sun.sun_family = AF_UNIX;
        std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0)
            throw std::runtime_error("connect " + path + ": " + std::strerror(errno));
    }
    ~RawSocket() { ::close(fd_); }
    RawSocket(const RawSocket&) = delete;
    RawSocket& operator=(const RawSocket&) = delete;

    void send(const std::string& bytes) {
        std::size_t off = 0;
        while (off < bytes.size()) {
            ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
            off += static_cast<std::size_t>(n);
        }
    }

    // The next message, or nullopt when the peer closes first or time runs out.
    std::optional<Message> next(int timeout_ms = 5000) {
        msgpack::object_handle oh;
        while (!reader_.next(oh)) {
            if (!fill(timeout_ms)) return std::nullopt;
        }
        return decode_message(oh.get());
    }

    // True when the peer closes the connection within timeout_ms; whatever
    // arrives before that is kept for next().
    bool closed_by_peer(int timeout_ms = 5000) {
        while (fill(timeout_ms)) {
        }
        return eof_;
    }

  private:
    bool fill(int timeout_ms) {
        if (eof_) return false;
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) return true;
        if (r <= 0) return false;
        char buf[65536];
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) return true;
        if (n <= 0) {  // EOF, or ECONNRESET when the server left our bytes unread
            eof_ = true;
            return false;
        }
        reader_.feed(buf, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    bool eof_ = false;
    FrameReader reader_;
};

std::string error_code(const Value& error) {
    return error.is_object() && error.contains("code") && error["code"].is_string() ? error["code"].get<std::string>()
                                                                                    : "";
}

class CoreRpc : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/sr-rpc-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr) << std::strerror(errno);
        dir_ = tmpl;
        path_ = dir_ + "/testd.sock";
        add_methods();
    }

    void TearDown() override {
        if (server_) server_->close();
        server_.reset();
        later_.reset();
        ::unlink(path_.c_str());
        ::unlink((dir_ + "/other.sock").c_str());
        ::rmdir(dir_.c_str());
    }

    void start(Limits limits = {}) {
        server_ = std::make_unique<Server>(loop_, registry_, counters_, limits);
        server_->listen(path_);
    }

    void add_methods() {
        registry_.add_sync("test.echo", "Returns its params.",
                           {{"text", Type::str, true, "some text"},
                            {"count", Type::uint, false, "a count"},
                            {"blob", Type::bytes, false, "some bytes"},
                            {"key", Type::id, false, "an id"},
                            {"flag", Type::boolean, false, ""},
                            {"opts", Type::map, false, ""}},
                           false, [](const Value& params, Call&) { return params; });
        registry_.add_sync("test.set", "A mutating method.", {{"key", Type::str, true, ""}}, true,
                           [](const Value& params, Call&) { return Value{{"stored", params["key"]}}; });
        registry_.add_sync("test.missing", "Always not_found.", {}, false, [](const Value&, Call&) -> Value {
            throw sr::Error("not_found", "no such thing");
        });
        registry_.add_sync("test.crash", "Throws a plain exception.", {}, false,
                           [](const Value&, Call&) -> Value { throw std::runtime_error("boom"); });
        registry_.add_sync("test.big", "A large result.", {{"size", Type::uint, true, ""}}, false,
                           [](const Value& p, Call&) { return Value{{"data", std::string(p["size"].get<std::size_t>(), 'x')}}; });
        registry_.add({"test.later", "Answers after 20 ms.", {}, false, [this](Call& call) {
                           later_ = std::make_unique<sr::Timer>(loop_, [call] { call.reply(Value{{"late", true}}); });
                           later_->arm_in(20'000);
                       }});
        registry_.add({"test.never", "Never answers.", {}, false, [](Call&) {}});
        registry_.add({"test.watch", "Answers, then sends three notifications.", {}, false, [](Call& call) {
                           call.reply(Value{{"watching", true}});
                           for (int i = 0; i < 3; ++i) call.connection().notify("test.note", Value{{"i", i}});
                       }});
    }

    // Runs the loop until done() is true (checked every millisecond) or the
    // deadline passes; false on the deadline.
    bool run_until(const std::function<bool()>& done, int deadline_ms = 10'000) {
        bool timed_out = false;
        std::int64_t until = sr::Loop::now_us() + std::int64_t(deadline_ms) * 1000;
        sr::Timer poll(loop_, [&] {
            if (done()) return loop_.stop();
            if (sr::Loop::now_us() > until) {
                timed_out = true;
                return loop_.stop();
            }
            poll.arm_in(1000);
        });
        poll.arm_in(0);
        loop_.run();
        return !timed_out;
    }

    // Serves on this thread while fn runs on another.
    void with_client(const std::function<void()>& fn) {
        std::atomic<bool> done{false};
        std::exception_ptr error;
        std::thread t([&] {
            try {
                fn();
            } catch (...) {
                error = std::current_exception();
            }
            done = true;
        });
        bool ok = run_until([&] { return done.load(); }, 20'000);
        t.join();
        EXPECT_TRUE(ok) << "the client thread did not finish in time";
        if (error) std::rethrow_exception(error);
    }

    // Lets the loop process what is pending (closes, EOFs) for a while.
    void spin(int ms) {
        std::int64_t until = sr::Loop::now_us() + std::int64_t(ms) * 1000;
        run_until([&] { return sr::Loop::now_us() > until; });
    }

    std::string dir_, path_;
    sr::Loop loop_;
    Counters counters_;
    Registry registry_{"testd", counters_};
    std::unique_ptr<Server> server_;
    std::unique_ptr<sr::Timer> later_;
};

// A ClientError's RPC code, or "" when the call succeeded.
std::string call_code(sr::Client& c, const std::string& method, const Value& params = Value::object()) {
    try {
        c.call(method, params);
        return "";
    } catch (const sr::ClientError& e) {
        return e.code;
    }
}

TEST_F(CoreRpc, Ping) {
    start();
    with_client([&] {
        sr::Client c(path_, 5000);
        EXPECT_EQ(c.call("sys.ping"), (Value{{"pong", true}}));
        EXPECT_EQ(c.call("sys.ping"), (Value{{"pong", true}}));  // the connection stays usable
    });
}

TEST_F(CoreRpc, Version) {
    start();
    with_client([&] {
        sr::Client c(path_, 5000);
        Value v = c.call("sys.version");
        EXPECT_EQ(v["name"], "testd");
        EXPECT_EQ(v["api_level"], Registry::api_level);
        EXPECT_TRUE(v["version"].is_string());
    });
}

TEST_F(CoreRpc, ApiListsCustomMethodWithFields) {
    start();
    Value api;
    with_client([&] {
        sr::Client c(path_, 5000);
        api = c.call("sys.api");
    });
    EXPECT_EQ(api["name"], "testd");
    EXPECT_EQ(api["api_level"], 1);
    ASSERT_TRUE(api["methods"].is_array());
    const Value* echo = nullptr;
    const Value* set = nullptr;
    std::vector<std::string> names;
    for (const auto& m : api["methods"]) {
        names.push_back(m["name"].get<std::string>());
        if (m["name"] == "test.echo") echo = &m;
        if (m["name"] == "test.set") set = &m;
    }
    for (const char* sys : {"sys.ping", "sys.version", "sys.api", "sys.stats", "sys.status"})
        EXPECT_NE(std::find(names.begin(), names.end(), sys), names.end()) << sys;
    ASSERT_NE(echo, nullptr);
    ASSERT_NE(set, nullptr);
    EXPECT_EQ((*echo)["mutates"], false);
    EXPECT_EQ((*set)["mutates"], true);
    EXPECT_EQ((*echo)["doc"], "Returns its params.");
    const Value& fields = (*echo)["fields"];
    ASSERT_EQ(fields.size(), 6u);
    EXPECT_EQ(fields[0]["name"], "text");
    EXPECT_EQ(fields[0]["type"], "str");
    EXPECT_EQ(fields[0]["required"], true);
    EXPECT_EQ(fields[0]["doc"], "some text");
    EXPECT_EQ(fields[1]["name"], "count");
    EXPECT_EQ(fields[1]["type"], "uint");
    EXPECT_EQ(fields[1]["required"], false);
    EXPECT_EQ(fields[2]["type"], "bytes");
    EXPECT_EQ(fields[3]["type"], "id");
    EXPECT_EQ(fields[4]["type"], "bool");
    EXPECT_EQ(fields[5]["type"], "map");
}

TEST_F(CoreRpc, EchoPassesTypedFields) {
    start();
    with_client([&] {
        sr::Client c(path_, 5000);
        sr::Id id = sr::Id::hash("kv", "x");
        auto b = id.bytes();
        Value params{{"text", "hi"},
                     {"count", 3},
                     {"blob", sr::bytes_value(std::string("\x00\xff", 2))},
                     {"key", Value::binary(std::vector<std::uint8_t>(b.begin(), b.end()))},
                     {"flag", true},
                     {"opts", {{"a", 1}}}};
        EXPECT_EQ(c.call("test.echo", params), params);
        // An id may also be 32 hex digits; bytes may be a str; an optional field
        // may be null, which handlers see as absent.
        Value alt{{"text", "hi"}, {"key", id.hex()}, {"blob", "text"}, {"count", nullptr}};
        Value seen = alt;
        seen.erase("count");
        EXPECT_EQ(c.call("test.echo", alt), seen);
    });
}

TEST_F(CoreRpc, UnknownMethod) {
    start();
    with_client([&] {
        sr::Client c(path_, 5000);
        try {
            c.call("test.nope");
            ADD_FAILURE() << "no error for an unknown method";
        } catch (const sr::ClientError& e) {
            EXPECT_EQ(e.code, "unknown_method");
            EXPECT_EQ(e.exit_code, sr::exit_protocol);
            EXPECT_NE(std::string(e.what()).find("test.nope"), std::string::npos) << e.what();
        }
        EXPECT_EQ(c.call("sys.ping"), (Value{{"pong", true}}));
    });
}

TEST_F(CoreRpc, InvalidParams) {
    start();
    with_client([&] {
        sr::Client c(path_, 5000);
        // missing required field
        EXPECT_EQ(call_code(c, "test.echo", Value::object()), "invalid_params");
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", nullptr}}), "invalid_params");
        // unknown field
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", "a"}, {"bogus", 1}}), "invalid_params");
        // wrongly typed fields
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", 5}}), "invalid_params");
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", "a"}, {"count", -1}}), "invalid_params");
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", "a"}, {"count", "3"}}), "invalid_params");
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", "a"}, {"blob", 7}}), "invalid_params");
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", "a"}, {"key", "xyz"}}), "invalid_params");
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", "a"}, {"key", sr::bytes_value(std::string(15, 'k'))}}),
                  "invalid_params");
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", "a"}, {"flag", 1}}), "invalid_params");
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", "a"}, {"opts", Value::array()}}), "invalid_params");
        // and the message names the field
        try {
            c.call("test.echo", Value{{"text", "a"}, {"count", "3"}});
        } catch (const sr::ClientError& e) {
            EXPECT_EQ(e.exit_code, sr::exit_data);
            EXPECT_NE(std::string(e.what()).find("count"), std::string::npos) << e.what();
        }
        EXPECT_EQ(call_code(c, "test.echo", Value{{"text", "fine"}}), "");
    });
}

TEST_F(CoreRpc, HandlerErrorCodeIsPassedOn) {
    start();
    with_client([&] {
        sr::Client c(path_, 5000);
        try {
            c.call("test.missing");
            ADD_FAILURE() << "no error from test.missing";
        } catch (const sr::ClientError& e) {
            EXPECT_EQ(e.code, "not_found");
            EXPECT_STREQ(e.what(), "not_found: no such thing");  // the code leads the one-line message
            EXPECT_EQ(e.exit_code, sr::exit_no_result);
        }
        EXPECT_EQ(call_code(c, "test.crash"), "internal");
        EXPECT_EQ(c.call("sys.ping"), (Value{{"pong", true}}));
    });
    EXPECT_EQ(counters_["rpc.internal_errors"], 1u);
}

TEST_F(CoreRpc, AsynchronousReply) {
    start();
    with_client([&] {
        sr::Client c(path_, 5000);
        EXPECT_EQ(c.call("test.later"), (Value{{"late", true}}));
    });
}

TEST_F(CoreRpc, ClientTimesOut) {
    start();
    with_client([&] {
        sr::Client c(path_, 200);
        try {
            c.call("test.never");
            ADD_FAILURE() << "no timeout";
        } catch (const sr::ClientError& e) {
            EXPECT_EQ(e.code, "timeout");
            EXPECT_EQ(e.exit_code, sr::exit_tempfail);
        }
    });
}

TEST_F(CoreRpc, ClientStreamsNotifications) {
    start();
    with_client([&] {
        sr::Client c(path_, 5000);
        std::vector<int> seen;
        Value first = c.stream("test.watch", Value::object(), [&](const std::string& method, const Value& params) {
            EXPECT_EQ(method, "test.note");
            seen.push_back(params["i"].get<int>());
            return seen.size() < 3;
        });
        EXPECT_EQ(first, (Value{{"watching", true}}));
        EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
    });
}

TEST_F(CoreRpc, ClientWithoutDaemonIsUnavailable) {
    try {
        sr::Client c(path_, 1000);
        FAIL() << "connected to nothing";
    } catch (const sr::ClientError& e) {
        EXPECT_EQ(e.exit_code, sr::exit_unavailable);
    }
}

TEST_F(CoreRpc, MutatingMethodPermittedForOwnUid) {
    start();
    with_client([&] {
        sr::Client c(path_, 5000);
        EXPECT_EQ(c.call("test.set", Value{{"key", "k"}}), (Value{{"stored", "k"}}));
    });
    EXPECT_EQ(counters_["rpc.denied"], 0u);
}

TEST_F(CoreRpc, MutatingMethodDeniedForOtherUid) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to call as another user";
    start();
    ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
    ASSERT_EQ(::chmod(path_.c_str(), 0666), 0);
    registry_.allow_group(4242);
    // code: 0 when test.set is denied with "permission" and test.echo is served.
    auto probe = [this](bool expect_denied) {
        RawSocket s(path_);
        s.send(encode_request(1, "test.set", Value{{"key", "k"}}));
        auto set = s.next();
        if (!set) return 10;
        std::string code = error_code(set->error);
        if (expect_denied ? code != "permission" : !code.empty()) return 11;
        s.send(encode_request(2, "test.echo", Value{{"text", "t"}}));
        auto echo = s.next();
        if (!echo || !echo->error.is_null()) return 12;
        return 0;
    };
    struct Case {
        gid_t gid;
        bool denied;
    };
    for (Case c : {Case{65534, true}, Case{4242, false}}) {
        SCOPED_TRACE("gid " + std::to_string(c.gid));
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            if (::setgroups(0, nullptr) != 0 || ::setgid(c.gid) != 0 || ::setuid(65534) != 0) ::_exit(90);
            int code = 91;
            try {
                code = probe(c.denied);
            } catch (...) {
                code = 92;
            }
            ::_exit(code);
        }
        int status = 0;
        bool exited = run_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; });
        if (!exited) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
        ASSERT_TRUE(exited);
        ASSERT_TRUE(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), 0);
    }
    EXPECT_EQ(counters_["rpc.denied"], 1u);
}

TEST_F(CoreRpc, GarbageClosesOnlyThatConnection) {
    start();
    with_client([&] {
        sr::Client good(path_, 5000);
        EXPECT_EQ(good.call("sys.ping"), (Value{{"pong", true}}));
        RawSocket bad(path_);
        bad.send(std::string("\xc1\xc1garbage", 9));
        auto note = bad.next();
        ASSERT_TRUE(note.has_value()) << "no sys.error notification before the close";
        EXPECT_EQ(note->kind, Kind::notification);
        EXPECT_EQ(note->method, "sys.error");
        EXPECT_EQ(error_code(note->params), "bad_frame");
        EXPECT_TRUE(bad.closed_by_peer());
        // The server goes on serving the others, and new ones.
        EXPECT_EQ(good.call("sys.ping"), (Value{{"pong", true}}));
        sr::Client fresh(path_, 5000);
        EXPECT_EQ(fresh.call("sys.ping"), (Value{{"pong", true}}));
    });
    EXPECT_EQ(counters_["rpc.bad_frames"], 1u);
}

TEST_F(CoreRpc, ClientSeesSysErrorAsBadFrame) {
    Limits limits;
    limits.max_frame = 1024;
    start(limits);
    with_client([&] {
        sr::Client c(path_, 5000);
        try {
            c.call("test.echo", Value{{"text", std::string(4000, 'a')}});
            ADD_FAILURE() << "an oversized request was served";
        } catch (const sr::ClientError& e) {
            EXPECT_EQ(e.code, "bad_frame");
            EXPECT_EQ(e.exit_code, sr::exit_protocol);
        }
    });
}

TEST_F(CoreRpc, OversizedFrameClosesOnlyThatConnection) {
    Limits limits;
    limits.max_frame = 1024;
    start(limits);
    with_client([&] {
        sr::Client good(path_, 5000);
        EXPECT_EQ(good.call("test.echo", Value{{"text", std::string(900, 'a')}})["text"].get<std::string>().size(), 900u);

        RawSocket whole(path_);
        whole.send(encode_request(1, "test.echo", Value{{"text", std::string(4000, 'a')}}));
        auto note = whole.next();
        ASSERT_TRUE(note.has_value());
        EXPECT_EQ(note->method, "sys.error");
        EXPECT_EQ(error_code(note->params), "bad_frame");
        EXPECT_TRUE(whole.closed_by_peer());

        // A frame that never completes is cut off once it passes the limit.
        RawSocket trickle(path_);
        msgpack::sbuffer buf;
        sr::Packer pk(buf);
        pk.pack_array(4);
        pk.pack_uint8(0);
        pk.pack_uint32(3);
        pk.pack_str(9);
        pk.pack_str_body("test.echo", 9);
        pk.pack_array(1);
        pk.pack_map(1);
        pk.pack_str(4);
        pk.pack_str_body("text", 4);
        pk.pack_array(1000);
        std::string head(buf.data(), buf.size());
        trickle.send(head);
        try {
            for (int i = 0; i < 500; ++i) trickle.send("\xa3" "abc");  // 500 of the 1000 announced strings
        } catch (const std::runtime_error&) {
            // EPIPE: the server has already cut us off
        }
        EXPECT_TRUE(trickle.closed_by_peer());

        EXPECT_EQ(good.call("sys.ping"), (Value{{"pong", true}}));
    });
    EXPECT_EQ(counters_["rpc.bad_frames"], 2u);
    spin(20);
    EXPECT_EQ(server_->connections(), 0u);
}

TEST_F(CoreRpc, BadShapeWithMsgidIsAnsweredAndConnectionStays) {
    start();
    with_client([&] {
        RawSocket s(path_);
        msgpack::sbuffer buf;
        sr::Packer pk(buf);
        pk.pack_array(4);
        pk.pack_uint8(0);
        pk.pack_uint32(7);
        pk.pack_int(42);  // method is not a string
        pk.pack_array(0);
        s.send(std::string(buf.data(), buf.size()));
        auto r = s.next();
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->kind, Kind::response);
        EXPECT_EQ(r->msgid, 7u);
        EXPECT_EQ(error_code(r->error), "invalid_request");

        // A shape with no msgid to answer gets a sys.error notification.
        s.send(std::string("\x91\x05", 2));  // [5]
        auto n = s.next();
        ASSERT_TRUE(n.has_value());
        EXPECT_EQ(n->kind, Kind::notification);
        EXPECT_EQ(n->method, "sys.error");
        EXPECT_EQ(error_code(n->params), "invalid_request");

        s.send(encode_request(8, "sys.ping", Value::object()));
        auto pong = s.next();
        ASSERT_TRUE(pong.has_value());
        EXPECT_EQ(pong->msgid, 8u);
        EXPECT_EQ(pong->result, (Value{{"pong", true}}));
    });
    EXPECT_EQ(counters_["rpc.invalid_messages"], 2u);
    EXPECT_EQ(counters_["rpc.bad_frames"], 0u);
}

// msgpack-RPC's notification is a call whose answer the client does not
// want: carried out, never answered, unless it fails.
TEST_F(CoreRpc, CallsMadeAsNotificationsRunWithoutAnAnswer) {
    int counted = 0;
    registry_.add_sync("test.count", "Counts its calls.", {}, false, [&](const Value&, Call&) {
        ++counted;
        return Value{{"count", counted}};
    });
    start();
    with_client([&] {
        RawSocket s(path_);
        std::string all;
        for (int i = 0; i < 3; ++i) all += encode_notification("test.count", Value::object());
        all += encode_notification("test.missing", Value::object());
        all += encode_request(9, "sys.ping", Value::object());
        s.send(all);
        auto n = s.next();  // the failure, named, and nothing for the three that worked
        ASSERT_TRUE(n.has_value());
        EXPECT_EQ(n->kind, Kind::notification);
        EXPECT_EQ(n->method, "sys.error");
        EXPECT_EQ(error_code(n->params), "not_found");
        EXPECT_EQ(n->params["method"], "test.missing");
        auto pong = s.next();
        ASSERT_TRUE(pong.has_value());
        EXPECT_EQ(pong->kind, Kind::response);
        EXPECT_EQ(pong->msgid, 9u);
    });
    EXPECT_EQ(counted, 3);
    EXPECT_EQ(counters_["rpc.notified_calls"], 4u);
}

// Calls made as notifications are bounded as requests are: a client cannot
// leave more than max_unanswered of them running by not asking for answers.
TEST_F(CoreRpc, NotifiedCallsCountAgainstTheUnansweredBound) {
    Limits limits;
    limits.max_unanswered = 4;
    start(limits);
    with_client([&] {
        RawSocket s(path_);
        std::string all;
        for (int i = 0; i < 10; ++i) all += encode_notification("test.never", Value::object());
        all += encode_request(1, "sys.ping", Value::object());
        s.send(all);
        EXPECT_FALSE(s.next(300).has_value()) << "read on past the bound";
    });
    EXPECT_GE(counters_["rpc.reads_paused"], 1u);
    EXPECT_EQ(counters_["rpc.notified_calls"], 4u);
}

TEST_F(CoreRpc, PipelinedRequestsAnsweredInOrder) {
    start();
    with_client([&] {
        RawSocket s(path_);
        std::string all;
        for (std::uint32_t i = 1; i <= 20; ++i) all += encode_request(i, "test.echo", Value{{"text", std::to_string(i)}});
        s.send(all);
        for (std::uint32_t i = 1; i <= 20; ++i) {
            auto r = s.next();
            ASSERT_TRUE(r.has_value());
            EXPECT_EQ(r->msgid, i);
            EXPECT_EQ(r->result["text"], std::to_string(i));
        }
    });
}

TEST_F(CoreRpc, IdleConnectionIsClosed) {
    Limits limits;
    limits.idle_timeout_us = 50'000;
    start(limits);
    with_client([&] {
        RawSocket s(path_);
        s.send(encode_request(1, "sys.ping", Value::object()));
        ASSERT_TRUE(s.next().has_value());
        EXPECT_TRUE(s.closed_by_peer(5000));
    });
    spin(10);
    EXPECT_EQ(server_->connections(), 0u);
}

TEST_F(CoreRpc, OutputOverLimitCutsTheClientOff) {
    Limits limits;
    limits.max_output = 64 << 10;
    start(limits);
    with_client([&] {
        sr::Client c(path_, 5000);
        EXPECT_EQ(c.call("test.big", Value{{"size", 1000}})["data"].get<std::string>().size(), 1000u);
        try {
            c.call("test.big", Value{{"size", 200 << 10}});
            ADD_FAILURE() << "a result over max_output was sent";
        } catch (const sr::ClientError& e) {
            EXPECT_EQ(e.exit_code, sr::exit_unavailable);
        }
        sr::Client other(path_, 5000);
        EXPECT_EQ(other.call("sys.ping"), (Value{{"pong", true}}));
    });
    EXPECT_EQ(counters_["rpc.slow_clients_cut"], 1u);
}

// Issue 9 item 7: a client that pipelines more answers than the pause mark
// makes the server stop reading, not buffer; once it reads, every request
// is answered, in order.
TEST_F(CoreRpc, PipelineBeyondThePauseMarkIsAnsweredAfterResuming) {
    start();
    constexpr std::uint32_t count = 300;  // 300 answers of 16 KiB: far over 256 KiB
    with_client([&] {
        RawSocket s(path_);
        std::string all;
        for (std::uint32_t i = 1; i <= count; ++i) all += encode_request(i, "test.big", Value{{"size", 16 << 10}});
        s.send(all);
        for (std::uint32_t i = 1; i <= count; ++i) {
            auto r = s.next();
            ASSERT_TRUE(r.has_value()) << "no answer " << i;
            EXPECT_EQ(r->msgid, i);
            EXPECT_EQ(r->result["data"].get<std::string>().size(), std::size_t(16 << 10));
        }
    });
    EXPECT_GE(counters_["rpc.reads_paused"], 1u);
    EXPECT_EQ(counters_["rpc.slow_clients_cut"], 0u);
}

TEST_F(CoreRpc, StatsCountRequests) {
    start();
    Value stats;
    with_client([&] {
        sr::Client c(path_, 5000);
        c.call("sys.ping");
        call_code(c, "test.nope");
        stats = c.call("sys.stats");
    });
    EXPECT_EQ(stats["rpc.requests"], 3);
    EXPECT_EQ(stats["rpc.errors"], 1);
    EXPECT_EQ(stats["rpc.connections"], 1);
    EXPECT_TRUE(stats.contains("uptime_s"));
}

TEST_F(CoreRpc, ConnectUnixOnTheSameLoop) {
    start();
    Counters client_counters;
    auto conn = connect_unix(loop_, path_, client_counters);
    Value ping_result, nope_error, echo_result;
    std::vector<int> notes;
    int answered = 0;
    conn->on_notification = [&](Connection&, Message& m) {
        if (m.method == "test.note") notes.push_back(m.params["i"].get<int>());
    };
    conn->call("sys.ping", Value::object(), [&](const Value& e, const Value& r) {
        EXPECT_TRUE(e.is_null());
        ping_result = r;
        ++answered;
    });
    conn->call("test.nope", Value::object(), [&](const Value& e, const Value&) {
        nope_error = e;
        ++answered;
    });
    conn->call("test.echo", Value{{"text", "x"}}, [&](const Value&, const Value& r) {
        echo_result = r;
        ++answered;
    });
    conn->call("test.watch", Value::object(), [&](const Value&, const Value&) { ++answered; });
    ASSERT_TRUE(run_until([&] { return answered == 4 && notes.size() == 3; }));
    EXPECT_EQ(ping_result, (Value{{"pong", true}}));
    EXPECT_EQ(error_code(nope_error), "unknown_method");
    EXPECT_EQ(echo_result, (Value{{"text", "x"}}));
    EXPECT_EQ(notes, (std::vector<int>{0, 1, 2}));

    // Closing fails what is still pending, once.
    int failed = 0;
    std::string code;
    conn->call("test.never", Value::object(), [&](const Value& e, const Value&) {
        ++failed;
        code = error_code(e);
    });
    conn->close();
    EXPECT_EQ(failed, 1);
    EXPECT_EQ(code, "unavailable");
    EXPECT_TRUE(conn->closed());
    conn->call("sys.ping", Value::object(), [&](const Value& e, const Value&) { code = error_code(e) + "!"; });
    EXPECT_EQ(code, "unavailable!");
    spin(10);
    EXPECT_EQ(server_->connections(), 0u);
}

TEST_F(CoreRpc, ConnectUnixWithoutServer) {
    Counters c;
    try {
        connect_unix(loop_, path_, c);
        FAIL() << "connected to nothing";
    } catch (const sr::Error& e) {
        EXPECT_EQ(e.code, "unavailable");
    }
}

TEST_F(CoreRpc, ListenRefusesALiveSocketAndReplacesAStaleOne) {
    start();
    Server second(loop_, registry_, counters_);
    try {
        second.listen(path_);
        FAIL() << "a second server took over a live socket";
    } catch (const sr::Error& e) {
        EXPECT_EQ(e.code, "busy");
    }

    // A socket file nobody listens on (left by a crash) is replaced.
    std::string stale = dir_ + "/other.sock";
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, stale.c_str(), stale.size() + 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
    ::close(fd);
    struct stat st{};
    ASSERT_EQ(::stat(stale.c_str(), &st), 0);
    second.listen(stale);
    ASSERT_EQ(::stat(stale.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    with_client([&] {
        sr::Client c(stale, 5000);
        EXPECT_EQ(c.call("sys.ping"), (Value{{"pong", true}}));
    });
    second.close();
    EXPECT_NE(::stat(stale.c_str(), &st), 0) << "close() left the socket file";
}

}  // namespace
