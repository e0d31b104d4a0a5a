// Fuzz target: sr-cached's response path (lib/cache). The input is what an
// origin (or a peer cache) answers: HttpClient::fetch() goes to a loopback
// listener in this process, which reads the request, writes the input as the
// response bytes (in one or two writes) and closes. The head the client
// parsed then goes through the policy functions a fill applies to it
// (storability, freshness, age, reuse, validation and the 304 merge, Vary,
// ranges, invalidation), with the response's own fields also standing in as
// the request's, so that hostile values reach the request-side code too.
//
// The first input byte is flags, the second where to split; the rest is the
// response:
//   bit 0  HEAD instead of GET (the client must not wait for a body)
//   bit 1  two writes, split at byte 1's fraction of the response
//   bit 2  fetch again from inside on_done: the kept-alive connection is
//          reused, finds the server gone and the request is retried once on a
//          fresh connection (which gets the same bytes)
//   bit 3  cancel the exchange from inside on_head
//   bit 4  cancel it from inside the first on_body
//   bit 5  a private cache's policy (Options::shared = false)
//
// Invariants checked beyond "does not crash, leak or hang":
//  - no callback runs inside fetch() or after cancel(); on_head at most once
//    and before any on_body; on_done exactly once, and last;
//  - ok means the head came, and a body of the length Content-Length said
//    (none after HEAD, 204, 304);
//  - lifetimes and ages are never negative; a Single range lies inside the
//    body; a response stored under a secondary key matches the request that
//    stored it; a 304 never changes the stored representation's fields;
//    invalidation only names URIs of the request's origin; a parsed date
//    formats and parses back to itself.
// With SR_FUZZ_VERBOSE set in the environment, each exchange's outcome is
// printed (for reproducing a finding).
#include "cache/http_client.hpp"
#include "cache/policy.hpp"
#include "core/log.hpp"
#include "core/loop.hpp"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace sr::cache;

constexpr std::int64_t kHangUs = 5'000'000;
constexpr std::int64_t kNow = 1'700'000'000;  // the policy's clock: no wall time, reproducible

void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_http_response: invariant broken: %s\n", what);
    std::abort();
}

// ---- the server side: one accepted connection ------------------------------------------

struct Server;

struct ServerConn {
    Server& server;
    int fd;
    event* ev = nullptr;
    event* later = nullptr;  // the second write, one loop turn after the first
    std::string request;
    std::string out;  // still to write
    bool answered = false, second_pending = false, shut = false, closed = false;

    ServerConn(Server& s, int f);
    ~ServerConn() {
        if (ev) event_free(ev);
        if (later) event_free(later);
        if (fd >= 0) ::close(fd);
    }
    static void cb(evutil_socket_t, short what, void* self) { static_cast<ServerConn*>(self)->on(what); }
    static void later_cb(evutil_socket_t, short, void* self) { static_cast<ServerConn*>(self)->second(); }
    void on(short what);
    void second();
    void flush();
    void close_now() {
        if (ev) event_del(ev);
        if (later) event_del(later);
        ::close(fd);
        fd = -1;
        closed = true;
    }
};

struct Server {
    event_base* base;
    int lfd = -1;
    event* lev = nullptr;
    Endpoint ep;
    std::string part1, part2;  // this input's response bytes
    std::vector<std::unique_ptr<ServerConn>> conns;

    explicit Server(event_base* b) : base(b) {
        lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(lfd, 64) != 0) std::abort();
        socklen_t len = sizeof a;
        getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
        std::memcpy(&ep.addr, &a, sizeof a);
        ep.len = sizeof a;
        ep.host_header = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
        lev = event_new(base, lfd, EV_READ | EV_PERSIST, &Server::accept_cb, this);
        event_add(lev, nullptr);
    }
    ~Server() {
        conns.clear();
        event_free(lev);
        ::close(lfd);
    }
    static void accept_cb(evutil_socket_t, short, void* self) {
        auto* s = static_cast<Server*>(self);
        for (;;) {
            int fd = accept4(s->lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) return;
            s->conns.push_back(std::make_unique<ServerConn>(*s, fd));
        }
    }
    bool idle() const {
        return std::all_of(conns.begin(), conns.end(), [](const auto& c) { return c->closed; });
    }
};

ServerConn::ServerConn(Server& s, int f) : server(s), fd(f) {
    ev = event_new(s.base, fd, EV_READ | EV_PERSIST, &ServerConn::cb, this);
    later = evtimer_new(s.base, &ServerConn::later_cb, this);
    event_add(ev, nullptr);
}

void ServerConn::on(short what) {
    if (what & EV_READ) {
        char buf[4096];
        for (;;) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                if (!answered) request.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            close_now();  // the client closed (or reset): done with this one
            return;
        }
        // Answer once the request's head is in (our client sends no body with GET/HEAD).
        if (!answered && request.find("\r\n\r\n") != std::string::npos) {
            answered = true;
            out = server.part1;
            second_pending = !server.part2.empty();
            if (second_pending) {
                timeval zero{0, 0};
                evtimer_add(later, &zero);
            }
            flush();
        }
    }
    if (what & EV_WRITE) flush();
}

void ServerConn::second() {
    second_pending = false;
    out += server.part2;
    flush();
}

void ServerConn::flush() {
    if (closed) return;
    while (!out.empty()) {
        ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            out.erase(0, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            event_del(ev);
            event_assign(ev, server.base, fd, EV_READ | EV_WRITE | EV_PERSIST, &ServerConn::cb, this);
            event_add(ev, nullptr);
            return;
        }
        out.clear();  // the client went away; its EOF closes us
        break;
    }
    if (!second_pending && !shut) {
        ::shutdown(fd, SHUT_WR);  // the response ends here; wait for the client's close
        shut = true;
        event_del(ev);
        event_assign(ev, server.base, fd, EV_READ | EV_PERSIST, &ServerConn::cb, this);
        event_add(ev, nullptr);
    }
}

// ---- the client side ----------------------------------------------------------------------

struct Fixture {
    sr::Loop loop;
    Server server{loop.base()};
    HttpClient client{loop, ClientLimits{1'000'000, 3'000'000, 32}};
    Fixture() {
        sr::log::set_program("fuzz_http_response");
        sr::log::set_level(sr::log::Level::error);
    }
};

struct Exchange {
    HttpClient& client;
    bool head_method;
    int cancel_at;  // 0 never, 1 on_head, 2 first on_body
    bool in_fetch = false, cancelled = false, done = false, ok = false;
    int heads = 0;
    std::uint64_t body = 0;
    ResponseHead head;
    HttpClient::Handle h;

    Exchange(HttpClient& c, bool head_method, int cancel_at) : client(c), head_method(head_method), cancel_at(cancel_at) {}

    void start(const Endpoint& to, std::function<void()> after_done = nullptr) {
        ClientRequest r;
        r.method = head_method ? "HEAD" : "GET";
        r.target = "/fuzz?q=1";
        r.headers = {{"Accept", "*/*"}, {"Via", "1.1 sr-cached"}};
        in_fetch = true;
        h = client.fetch(
            to, std::move(r),
            {[this](const ResponseHead& rh) {
                 check(!in_fetch && !cancelled && !done, "on_head inside fetch, after cancel or after on_done");
                 check(heads == 0 && body == 0, "on_head twice or after a body piece");
                 ++heads;
                 head = rh;
                 if (cancel_at == 1) cancel();
             },
             [this](const char*, std::size_t n) {
                 check(!in_fetch && !cancelled && !done, "on_body inside fetch, after cancel or after on_done");
                 check(heads == 1, "on_body before on_head");
                 body += n;
                 if (cancel_at == 2) cancel();
             },
             [this, after_done](bool success, const std::string&) {
                 check(!in_fetch && !cancelled && !done, "on_done inside fetch, after cancel or twice");
                 done = true;
                 ok = success;
                 if (after_done) after_done();
             }});
        in_fetch = false;
    }
    void cancel() {
        cancelled = true;
        client.cancel(h);
    }
    bool over() const { return done || cancelled; }

    void check_result() const {
        if (!done || !ok) return;
        check(heads == 1, "ok without a head");
        bool bodyless = head_method || head.status == 204 || head.status == 304;
        if (bodyless) check(body == 0, "a body after HEAD, 204 or 304");
        else if (head.content_length != UINT64_MAX) check(body == head.content_length, "body length != Content-Length");
    }
};

template <typename Pred>
bool run_until(sr::Loop& loop, std::int64_t budget_us, Pred done) {
    bool expired = false;
    sr::Timer deadline(loop, [&] { expired = true; });
    deadline.arm_in(budget_us);
    while (!done() && !expired) event_base_loop(loop.base(), EVLOOP_ONCE);
    return !expired;
}

// ---- the policy, on what the client parsed ----------------------------------------------------

void check_date(const Headers& h, const char* name) {
    auto v = get_header(h, name);
    if (!v) return;
    auto t = parse_http_date(*v);
    if (!t) return;
    check(parse_http_date(format_http_date(*t)) == t, "a parsed date does not format and parse back to itself");
}

void check_range(std::string_view value, std::uint64_t length) {
    RangeResult rr = parse_range(value, length);
    if (rr.kind != RangeKind::Single) return;
    check(length > 0 && rr.range.first <= rr.range.last && rr.range.last < length, "a Single range outside the body");
    content_range(rr.range, length);
}

void policy(const ResponseHead& head, std::uint64_t body, bool shared) {
    Options opt;
    opt.shared = shared;
    const Headers& rh = head.headers;
    const Headers& request = rh;  // hostile request fields too
    const int status = head.status;
    const std::int64_t request_time = kNow - 1, response_time = kNow;

    parse_cache_control(rh);
    for (const char* d : {"Date", "Expires", "Last-Modified", "If-Modified-Since"}) check_date(rh, d);

    StoreDecision sd = storability("GET", status, request, rh, opt);
    if (sd.store) check(status >= 200 && status <= 599 && status != 206 && status != 304, "an unstorable status stored");
    Headers kept = strip_hop_by_hop(rh);
    for (const auto& f : sd.strip_fields) remove_header(kept, f);

    Freshness f = freshness_lifetime(status, rh, response_time, opt);
    check(f.lifetime >= 0, "a negative freshness lifetime");
    StoredResponse stored{status, kept, request_time, response_time};
    for (std::int64_t later : {std::int64_t{0}, std::int64_t{1}, std::int64_t{86400}}) {
        check(current_age(stored, kNow + later) >= 0, "a negative age");
        ReuseDecision rd = reuse(request, stored, kNow + later, opt);
        check(rd.age >= 0 && rd.lifetime >= 0, "reuse: a negative age or lifetime");
        reuse({}, stored, kNow + later, opt);
        may_serve_stale_on_error(request, stored, kNow + later, opt);
    }

    // Validation: the fuzzed head as the stored response, and as the 304.
    conditional_request_headers(kept);
    StoredResponse fixed{200,
                         {{"ETag", "\"v1\""},
                          {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"},
                          {"Content-Length", "100"},
                          {"Content-Encoding", "gzip"},
                          {"Cache-Control", "max-age=60"}},
                         kNow - 100,
                         kNow - 99};
    validates_stored(fixed.headers, rh);
    validates_stored(kept, rh);
    validates_stored(kept, fixed.headers);
    for (StoredResponse* s : {&fixed, &stored}) {
        StoredResponse merged = *s;
        update_from_304(merged, rh, request_time, response_time);
        for (const char* field : {"content-length", "content-encoding", "content-md5", "content-range", "etag"})
            check(get_combined(merged.headers, field) == get_combined(s->headers, field),
                  "a 304 changed a field of the stored representation");
        check(current_age(merged, kNow) >= 0, "a negative age after a 304");
        reuse(request, merged, kNow, opt);
    }

    // Vary: what Fill::on_done stores must match the request that stored it.
    auto key = secondary_key(rh, request);
    Headers stored_request;
    for (const auto& field : vary_fields(rh))
        if (auto v = get_combined(request, field)) stored_request.emplace_back(field, *v);
    if (key) {
        check(secondary_key(rh, stored_request) == key, "the stored Vary fields give another secondary key");
        check(vary_matches(rh, stored_request, request), "a stored response does not match the request that stored it");
    }
    vary_matches(rh, stored_request, {});

    // The client's own conditionals and ranges, answered from this response.
    not_modified(request, kept);
    not_modified(request, fixed.headers);
    if_range_matches(request, kept);
    for (const char* field : {"Range", "Content-Range", "If-Range"})
        if (auto v = get_header(rh, field))
            for (std::uint64_t length : {body, std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1000}, UINT64_MAX})
                check_range(*v, length);

    // Invalidation after an unsafe method: only URIs of the request's origin.
    const std::string uri = "http://example.com:8080/a/b?c=d";
    for (const auto& u : invalidation_uris("POST", status, uri, rh))
        check(same_origin(uri, u), "invalidation of another origin's URI");
    for (const char* field : {"Location", "Content-Location"})
        if (auto v = get_header(rh, field)) resolve_reference(uri, *v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static Fixture fx;
    const std::uint8_t flags = data[0];
    std::string response(reinterpret_cast<const char*>(data + 2), size - 2);
    std::size_t split = (flags & 2) ? response.size() * data[1] / 256 : response.size();
    fx.server.part1 = response.substr(0, split);
    fx.server.part2 = response.substr(split);

    const bool head_method = flags & 1;
    const int cancel_at = (flags & 8) ? 1 : (flags & 16) ? 2 : 0;
    Exchange first(fx.client, head_method, cancel_at);
    Exchange again(fx.client, head_method, 0);
    bool started_again = false;
    first.start(fx.server.ep, [&] {
        if ((flags & 4) && first.ok) {
            started_again = true;
            again.start(fx.server.ep);
        }
    });
    bool finished = run_until(fx.loop, kHangUs, [&] {
        return first.over() && (!started_again || again.over()) && fx.server.idle() &&
               fx.client.idle_connections() == 0;
    });
    if (!finished) {
        std::fprintf(stderr,
                     "fuzz_http_response: no end in %lld ms (first: done %d cancelled %d head %d body %llu; "
                     "again: started %d done %d; server idle %d; client idle connections %zu)\n",
                     static_cast<long long>(kHangUs / 1000), first.done, first.cancelled, first.heads,
                     static_cast<unsigned long long>(first.body), started_again, again.done, fx.server.idle(),
                     fx.client.idle_connections());
        std::abort();
    }
    if (std::getenv("SR_FUZZ_VERBOSE"))
        for (const Exchange* e : {&first, &again})
            std::fprintf(stderr, "exchange: done %d ok %d cancelled %d status %d content-length %lld body %llu\n",
                         e->done, e->ok, e->cancelled, e->head.status,
                         e->head.content_length == UINT64_MAX ? -1LL : static_cast<long long>(e->head.content_length),
                         static_cast<unsigned long long>(e->body));
    if (std::getenv("SR_FUZZ_VERBOSE")) std::fprintf(stderr, "connections accepted: %zu\n", fx.server.conns.size());
    fx.server.conns.clear();
    first.check_result();
    again.check_result();
    if (first.heads) policy(first.head, first.body, !(flags & 32));
    if (again.heads) policy(again.head, again.body, !(flags & 32));
    return 0;
}
