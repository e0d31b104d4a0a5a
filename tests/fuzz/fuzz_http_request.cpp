// Fuzz target: sr-cached's request path (lib/cache). The input is what a
// client sends on one TCP connection to a running Cache: raw HTTP request
// bytes (possibly several pipelined requests, possibly garbage) after one
// flag byte. They go through evhttp's parser, Cache::handle, the fills and the
// store, exactly as in the daemon.
//
// Set up once: a Loop, an in-process origin (evhttp on an ephemeral loopback
// port, same loop) and a Cache whose store is a fresh mkdtemp directory, with
// one catch-all route to that origin, no cooperation, no access log.
//
// Why an in-process origin rather than one that refuses (127.0.0.1:9): with a
// refusing origin every miss ends in a 502 and the fill, the store's writer
// and commit, the serving of stored objects (HIT, ranges, the client's own
// conditionals, 304 revalidation, stale-while-revalidate) never run, and those
// are where a request's fields meet the most code. The origin answers a fixed
// response per path, so a run is reproducible: "/" and anything unlisted is a
// cacheable 200 with an ETag and a Last-Modified (and a 304 to a matching
// If-None-Match); a path containing "nostore", "private", "vary", "varystar",
// "stale" (stale-while-revalidate, stale-if-error), "chunked", "big" (over
// 256 KiB: several chunks, and the file-segment path on a hit), "empty"
// (204), "err" (503) or "close" (Connection: close) picks a variant; unsafe
// methods get a 201 with a Location. The seeds name some of these.
//
// Per input: connect to the cache, write the bytes, wait until the cache has
// gone quiet (every pipelined request answered: nothing moved for a few turns
// of the loop and every byte sent has been acknowledged), shut down the write side and
// run the loop until the cache closes the connection; then let any fill still
// running finish and purge the store, so that each input starts from an empty
// cache. The flag byte (data[0]) varies the client:
//   bit 0    leave early: shut down the write side right after the last byte,
//            without waiting for answers. evhttp takes the EOF as the client
//            leaving: a reply in progress is abandoned (Downstream closed,
//            Fill::client_closed) and later pipelined requests are dropped.
//   bit 1    two writes, the second once the cache has gone quiet on the
//            first (a request split across reads, a body that comes later);
//   bits 2-7 where to split, in 64ths of the bytes.
// Why not always shut down at once: evhttp would then answer at most the first
// request of an input, and every pipelined HIT / revalidation would be lost.
//
// A crash, a sanitizer report, or the connection still open after kHangUs
// (the cache neither answered nor closed: a hang) is a finding. With
// SR_FUZZ_VERBOSE set in the environment, the cache's answer to each input is
// printed (for reproducing a finding).
#include "cache/cache.hpp"
#include "cache/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/loop.hpp"
#include "core/rpc.hpp"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace sr::cache;

constexpr std::int64_t kHangUs = 5'000'000;

std::uint16_t local_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) std::abort();
    return ntohs(a.sin_port);
}

// A free loopback port: bound once and released (Cache::start takes ADDR:PORT).
std::uint16_t free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
    std::uint16_t port = local_port(fd);
    ::close(fd);
    return port;
}

// ---- the origin ------------------------------------------------------------------

struct Origin {
    evhttp* http = nullptr;
    std::uint16_t port = 0;
    std::uint64_t requests = 0;
    std::string body, big;

    explicit Origin(sr::Loop& loop) {
        for (int i = 0; i < 100; ++i) body += static_cast<char>('a' + i % 26);
        big.assign(300 << 10, 'B');
        http = evhttp_new(loop.base());
        evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                             EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
        evhttp_set_default_content_type(http, nullptr);
        evhttp_set_gencb(http, &Origin::cb, this);
        evhttp_bound_socket* s = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
        if (!s) std::abort();
        port = local_port(evhttp_bound_socket_get_fd(s));
    }
    ~Origin() { evhttp_free(http); }

    static void cb(evhttp_request* req, void* self) { static_cast<Origin*>(self)->handle(req); }

    void handle(evhttp_request* req) {
        ++requests;
        std::string uri = evhttp_request_get_uri(req);
        auto has = [&](const char* s) { return uri.find(s) != std::string::npos; };
        evkeyvalq* out = evhttp_request_get_output_headers(req);
        evkeyvalq* in = evhttp_request_get_input_headers(req);
        auto add = [&](const char* n, const char* v) { evhttp_add_header(out, n, v); };
        evbuffer* b = evbuffer_new();
        int status = 200;
        auto cmd = evhttp_request_get_command(req);
        if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
            status = 201;
            add("Location", "/created");
            add("Content-Location", "/");
            evbuffer_add(b, "ok\n", 3);
        } else if (has("chunked")) {
            add("Cache-Control", "max-age=60");
            add("ETag", "\"c1\"");
            evhttp_send_reply_start(req, 200, "OK");
            for (int i = 0; i < 3; ++i) {
                evbuffer_add(b, body.data(), body.size());
                evhttp_send_reply_chunk(req, b);
            }
            evhttp_send_reply_end(req);
            evbuffer_free(b);
            return;
        } else if (has("empty")) {
            status = 204;
            add("Cache-Control", "max-age=60");
        } else if (has("err")) {
            status = 503;
            add("Cache-Control", "max-age=5");
            evbuffer_add(b, "down\n", 5);
        } else {
            const char* inm = evhttp_find_header(in, "If-None-Match");
            if (inm && std::strstr(inm, "\"v1\"")) status = 304;
            add("ETag", "\"v1\"");
            add("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
            if (has("nostore")) add("Cache-Control", "no-store");
            else if (has("private")) add("Cache-Control", "private, max-age=60");
            else if (has("stale")) add("Cache-Control", "max-age=0, stale-while-revalidate=60, stale-if-error=60");
            else add("Cache-Control", "max-age=60");
            if (has("varystar")) add("Vary", "*");
            else if (has("vary")) add("Vary", "Accept-Encoding, Accept-Language");
            if (has("close")) add("Connection", "close");
            if (status == 200) {
                const std::string& payload = has("big") ? big : body;
                evbuffer_add(b, payload.data(), payload.size());
            }
        }
        evhttp_send_reply(req, status, nullptr, b);
        evbuffer_free(b);
    }
};

// ---- the fixture ---------------------------------------------------------------------

struct Fixture {
    std::string dir;
    sr::Loop loop;
    sr::rpc::Counters counters;
    Origin origin{loop};
    std::unique_ptr<Cache> cache;
    std::uint16_t port = 0;

    Fixture() {
        sr::log::set_program("fuzz_http_request");
        sr::log::set_level(sr::log::Level::error);
        char tmpl[] = "/tmp/sr-fuzz-http-request-XXXXXX";
        if (!mkdtemp(tmpl)) std::abort();
        dir = tmpl;
        std::filesystem::create_directories(dir + "/run");
        CacheConfig cfg;
        cfg.store.dir = dir + "/cache";
        cfg.store.max_bytes = 64ull << 20;
        cfg.cooperate = false;
        cfg.access_log = "off";
        cfg.routes.push_back(parse_route("* http://127.0.0.1:" + std::to_string(origin.port), cfg.qos_classes));
        // Cache::start binds ADDR:PORT; another process may take the port we found.
        for (int attempt = 0;; ++attempt) {
            port = free_port();
            cfg.listen = {"127.0.0.1:" + std::to_string(port)};
            cache = std::make_unique<Cache>(loop, cfg, counters, dir + "/run");
            try {
                cache->start();
                break;
            } catch (const sr::Error&) {
                cache.reset();
                if (attempt == 20) throw;
            }
        }
    }
    ~Fixture() {
        cache.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

// One client connection: writes what it is given, half-closes when told,
// reads everything to EOF.
struct Client {
    int fd = -1;
    event_base* base;
    event* rev = nullptr;
    event* wev = nullptr;
    std::string pending;  // still to write
    bool want_shut = false, shut = false, closed = false;
    std::size_t written = 0, received = 0;
    std::string answer;  // kept with SR_FUZZ_VERBOSE set, to see what the cache said
    bool verbose = std::getenv("SR_FUZZ_VERBOSE") != nullptr;

    Client(event_base* b, std::uint16_t port) : base(b) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) std::abort();
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
            std::perror("fuzz_http_request: connect to the cache");
            std::abort();
        }
        rev = event_new(base, fd, EV_READ | EV_PERSIST, &Client::read_cb, this);
        wev = event_new(base, fd, EV_WRITE, &Client::write_cb, this);
        event_add(rev, nullptr);
    }
    ~Client() {
        if (verbose)
            std::fprintf(stderr, "---- the cache answered %zu bytes:\n%s\n----\n", received, answer.c_str());
        event_free(rev);
        event_free(wev);
        ::close(fd);
    }

    void send(const std::uint8_t* data, std::size_t n) {
        pending.append(reinterpret_cast<const char*>(data), n);
        flush();
    }
    void half_close() {
        want_shut = true;
        flush();
    }

    static void read_cb(evutil_socket_t, short, void* self) { static_cast<Client*>(self)->on_read(); }
    static void write_cb(evutil_socket_t, short, void* self) { static_cast<Client*>(self)->flush(); }

    void flush() {
        while (!pending.empty() && !closed) {
            ssize_t n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
            if (n > 0) {
                pending.erase(0, static_cast<std::size_t>(n));
                written += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN)) {
                event_add(wev, nullptr);  // the rest when the cache has read some
                return;
            }
            pending.clear();  // the cache closed early (a 400, a size limit): stop writing
        }
        if (want_shut && !shut && pending.empty()) {
            ::shutdown(fd, SHUT_WR);
            shut = true;
        }
    }

    void on_read() {
        char buf[64 << 10];
        for (;;) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                received += static_cast<std::size_t>(n);
                if (verbose && answer.size() < (64 << 10)) answer.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            closed = true;  // EOF or reset
            event_del(rev);
            event_del(wev);
            return;
        }
    }
};

// Anything moving: bytes either way, requests, fills, the origin's answers.
std::uint64_t progress(const Fixture& fx, const Client& c) {
    const CacheStats& s = fx.cache->stats();
    return c.written + c.received + s.requests + s.bytes_out + s.bytes_in + s.origin_fetches + s.upstream_errors +
           s.bad_requests + fx.origin.requests;
}

// Whether every byte sent on a TCP socket of this process (the cache's, the
// origin's, ours) has been acknowledged, after asking each socket to send the
// ACKs it holds back (TCP_QUICKACK; loopback delays them up to 40 ms). An
// unacknowledged byte may not have reached its reader yet: under load the
// kernel delivers loopback packets from ksoftirqd, not inside send().
bool all_acked() {
    DIR* d = opendir("/proc/self/fd");
    if (!d) return true;
    std::vector<int> fds;
    while (dirent* e = readdir(d)) {
        int fd = std::atoi(e->d_name);
        if (fd > 2 && fd != dirfd(d)) fds.push_back(fd);
    }
    closedir(d);
    int one = 1;
    for (int fd : fds) setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);  // fails on the others
    for (int fd : fds) {
        int queued = 0;
        if (ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0) return false;
    }
    return true;
}

// The cache waits for the client when nothing has moved for kQuietTurns
// non-blocking turns of the loop, every byte sent has been acknowledged, and
// again nothing moved for kQuietTurns turns and every byte is acknowledged.
constexpr int kQuietTurns = 32;

void wait_quiet(Fixture& fx, Client& c, std::int64_t deadline_us) {
    std::uint64_t last = progress(fx, c);
    int still = 0;
    bool acked_once = false;
    while (!c.closed && sr::Loop::now_us() < deadline_us) {
        if (still >= kQuietTurns) {
            if (all_acked()) {
                if (acked_once) return;
                acked_once = true;
                still = 0;
                continue;
            }
            // Bytes in flight: sleep in the loop until something happens (or 1 ms).
            sr::Timer tick(fx.loop, [] {});
            tick.arm_in(1000);
            event_base_loop(fx.loop.base(), EVLOOP_ONCE);
        } else {
            event_base_loop(fx.loop.base(), EVLOOP_NONBLOCK);
        }
        std::uint64_t now = progress(fx, c);
        if (now != last) {
            still = 0;
            acked_once = false;
        } else {
            ++still;
        }
        last = now;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static Fixture fx;
    const std::uint8_t flags = data[0];
    const std::uint8_t* bytes = data + 1;
    const std::size_t n = size - 1;
    const std::int64_t deadline_us = sr::Loop::now_us() + kHangUs;
    {
        Client c(fx.loop.base(), fx.port);
        std::size_t split = (flags & 2) ? n * (flags >> 2) / 64 : n;
        c.send(bytes, split);
        if (split < n) {
            wait_quiet(fx, c, deadline_us);
            c.send(bytes + split, n - split);
        }
        if (!(flags & 1)) wait_quiet(fx, c, deadline_us);
        c.half_close();
        bool expired = false;
        sr::Timer deadline(fx.loop, [&] { expired = true; });
        deadline.arm_at(deadline_us);
        while (!c.closed && !expired) event_base_loop(fx.loop.base(), EVLOOP_ONCE);
        if (!c.closed) {
            std::fprintf(stderr,
                         "fuzz_http_request: the cache neither answered nor closed in %lld ms "
                         "(%zu of %zu bytes written, %zu read)\n",
                         static_cast<long long>(kHangUs / 1000), c.written, n, c.received);
            std::abort();
        }
    }
    // A fill the client left behind (a background revalidation, a storable
    // answer nobody waits for) ends within a few turns, the origin answering
    // at once; then the next input starts from an empty store.
    for (int i = 0; i < kQuietTurns; ++i) event_base_loop(fx.loop.base(), EVLOOP_NONBLOCK);
    fx.cache->purge("", true);
    return 0;
}
