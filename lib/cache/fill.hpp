// One upstream fetch and the clients waiting for it (see cache.hpp).
//
// A Downstream is one client request answered asynchronously: evhttp's
// request, what was asked (method, URL, headers, range) and how far its
// answer has got. It lives in a Fill until answered or until its client
// goes away (evhttp's close callback).
//
// A Fill tries its upstream candidates in order (peer caches holding a copy,
// then the origin; for a service, its instances). The body goes into a store
// Writer (a tmp file) and each Downstream is fed from that file, one chunk in
// flight at a time; evhttp's "chunk written" callback asks for the next. At
// the end the file is committed when the response is storable and otherwise
// dropped. Kinds:
//   Cacheable  GET/HEAD miss: storable → every compatible waiter shares it;
//              not storable → only the first waiter gets it, the others are
//              sent upstream on their own (never share a private answer)
//   Validate   a conditional request for a stored response; 304 → the stored
//              one is updated and served
//   Pass       anything not cached (unsafe methods, services): one waiter
#pragma once

#include "cache/cache.hpp"
#include "core/secret.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sr::cache {

struct Downstream {
    Cache& cache;
    evhttp_request* req;
    evhttp_connection* evcon;
    std::string method, host, path, url, client;
    Headers headers;
    std::string body;  // of the request (unsafe methods)
    std::int64_t start_us = 0;
    std::string x_cache = "MISS";
    std::string upstream;    // ADDR:PORT of the origin, peer or instance that answered (access log)
    std::string for_client;  // a peer's request: the client it asks for (its X-Forwarded-For)
    int dscp = -1;
    // It carried an X-SR-Peer mark we could not verify: served as an ordinary client's request,
    // but filled from the origin only, so that caches without a key cannot bounce it between them.
    bool unverified_peer = false;

    // The answer's progress.
    bool valid = true;  // the target and Host make a URL (else: 400)
    bool started = false, in_flight = false, done = false, closed = false;
    bool watching = false;  // our close callback is set on evcon
    std::uint64_t offset = 0, end = UINT64_MAX;  // body bytes still to send: [offset, end)
    std::uint64_t sent = 0;
    int status = 0;
    class Fill* fill = nullptr;

    Downstream(Cache& c, evhttp_request* r);
    ~Downstream();
    bool is_head() const { return method == "HEAD"; }
    void watch_close();  // evhttp's close callback → closed
    void unwatch();      // before anything that ends the answer
    void answered();     // after it: req and evcon are evhttp's again
};

struct PromisedBody {
    std::string digest;
    std::uint64_t size = 0;
};

struct Upstream {
    Endpoint to;
    std::string target;   // origin-form
    bool peer = false;    // a peer cache: mark the request, take only a 200
    std::string name;     // for logs: "origin", "peer 10.0.0.2:8080", "instance …"
    // A peer: the bodies its signed pointers promise (one per variant it holds),
    // SHA-256 in hex and size; what it sends must be one of them.
    std::vector<PromisedBody> promised;
};

class Fill {
  public:
    enum class Kind { Cacheable, Validate, Pass };

    Fill(Cache& cache, Kind kind, std::string url, Route route, std::unique_ptr<Downstream> first,
         std::optional<StoredObject> stale);
    ~Fill();

    // Starts fetching from the candidates in order.
    void begin(std::vector<Upstream> candidates);
    // A later miss for the same URL: true when it was taken in.
    bool join(std::unique_ptr<Downstream>& d);
    // The request a background fill (no first downstream) speaks for.
    void set_request_headers(Headers h);
    void client_closed(Downstream* d);
    void chunk_sent(Downstream* d);
    const std::string& url() const { return url_; }
    bool finished() const { return finished_; }

  private:
    void attempt();
    void on_head(const ResponseHead& head);
    void on_body(const char* data, std::size_t n);
    void on_done(bool ok, const std::string& error);
    void upstream_failed(const std::string& error);
    void start_reply(Downstream& d);
    void feed(Downstream& d);
    void finish(Downstream& d);
    void reply_error(Downstream& d, int status, const std::string& why);
    void serve_stale_or_fail(int status, const std::string& why);
    void send_alone(std::unique_ptr<Downstream> d);  // not shareable: its own fill
    void sweep();  // drop answered or gone downstreams; tell the cache when all are done
    void guarded(const std::function<void()>& fn);  // runs an upstream callback; an error ends the fill
    void drop_connection(Downstream& d);  // a started answer that cannot end well
    void drop_exchange();                       // the upstream exchange, cancelled
    void next_upstream();                       // this candidate will not do: the next one
    void abandon_upstream(const std::string& why);  // stop reading this upstream, then upstream_failed
    void hold_back();  // pause / resume the upstream by how far it runs ahead of its readers
    void reject_peer_body(const std::string& why);  // not what the pointer promised: the next candidate
    void forget_peer_body();
    std::uint64_t largest_promised() const;  // what a peer's unverified answer left: its store writer, its read fd, its digest
    std::uint64_t max_object() const { return cache_.cfg_.store.max_bytes / 8; }
    bool compatible(const Downstream& d) const;

    Cache& cache_;
    Kind kind_;
    std::string url_;
    Route route_;
    std::vector<std::unique_ptr<Downstream>> waiters_;
    Headers request_headers_;  // of the first request: what Vary is matched against
    std::optional<StoredObject> stale_;
    std::vector<Upstream> candidates_;
    std::size_t next_ = 0;
    std::int64_t deadline_us_ = 0;  // no new candidate after this (monotonic µs)
    Upstream current_;
    HttpClient::Handle exchange_;
    std::int64_t request_time_ = 0, response_time_ = 0;

    bool has_first_ = false;  // waiters_[0] is the request that started the fill
    bool have_head_ = false, storable_ = false, complete_ = false, finished_ = false;
    int status_ = 0;
    ResponseHead head_;
    Headers reply_headers_;  // what clients get (hop-by-hop and private fields gone)
    std::vector<std::string> strip_fields_;
    std::unique_ptr<Store::Writer> writer_;
    std::unique_ptr<Sha256> sha_;  // of the body as it arrives
    std::string digest_;           // its hex, once complete
    bool unverified_ = false;      // a peer's body: no waiter sees it before it matches its pointer
    std::string peer_mark_;        // the X-SR-Peer mark sent to the current peer: its answer is bound to it
    int read_fd_ = -1;
    std::uint64_t available_ = 0;
    bool paused_ = false;     // the upstream is held back (hold_back)
    std::uint64_t punched_ = 0;  // bytes from 0 given back to the disk (hold_back)
    bool validated_ = false;  // a 304 confirmed the stored response
    bool use_stale_ = false;  // the origin failed and stale-if-error allows the stored one
    Headers headers_304_;
    Timer sweep_;  // answered and gone downstreams are dropped from the loop, not mid-callback
};

}  // namespace sr::cache
