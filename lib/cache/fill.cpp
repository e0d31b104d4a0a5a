#include "cache/fill.hpp"

#include "cache/evhttp_util.hpp"
#include "cache/peer.hpp"
#include "core/error.hpp"
#include "core/http_method.hpp"
#include "core/log.hpp"

#include <event2/bufferevent.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <event2/http_struct.h>

#include <algorithm>

namespace sr::cache {

namespace {

bool has_body(int status, bool head) { return !head && status >= 200 && status != 204 && status != 304; }

// Request fields a cache fill must not pass on: the fill fetches the whole
// current object for everyone; the client's own range and conditionals are
// answered here from it.
void drop_client_conditionals(Headers& h) {
    for (const char* f : {"range", "if-range", "if-none-match", "if-modified-since", "if-match", "if-unmodified-since"})
        remove_header(h, f);
}

}  // namespace

// ---- Downstream ------------------------------------------------------------------

Downstream::Downstream(Cache& c, evhttp_request* r) : cache(c), req(r), evcon(evhttp_request_get_connection(r)) {
    method = http_method_name(evhttp_request_get_command(r));
    headers = input_headers(r);
    std::string target = evhttp_request_get_uri(r);
    if (target.rfind("http://", 0) == 0) {  // absolute-form: its authority is the Host
        try {
            Url u = parse_url(target);
            host = u.authority();
            target = u.path;
            set_header(headers, "Host", host);
        } catch (const Error&) {
            target.clear();
        }
    } else {
        host = std::string(get_header(headers, "host").value_or(""));
    }
    for (auto& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    // The URL is the cache key: only origin-form targets and plain host[:port] names make one.
    bool host_ok = !host.empty() && host.find_first_of("/?#@\\ \t\r\n") == std::string::npos;
    valid = host_ok && !target.empty() && target.front() == '/';
    path = valid ? target : "/";
    url = "http://" + (host_ok ? host : std::string("-")) + path;
    char* addr = nullptr;
    ev_uint16_t port = 0;
    if (evcon) evhttp_connection_get_peer(evcon, &addr, &port);
    client = addr ? addr : "-";
    evbuffer* in = evhttp_request_get_input_buffer(r);
    if (std::size_t n = evbuffer_get_length(in)) {
        body.resize(n);
        evbuffer_copyout(in, body.data(), n);
    }
}

Downstream::~Downstream() { unwatch(); }

void Downstream::watch_close() {
    if (!evcon || watching) return;
    watching = true;
    evhttp_connection_set_closecb(
        evcon,
        [](evhttp_connection*, void* self) {
            auto* d = static_cast<Downstream*>(self);
            d->closed = true;
            d->watching = false;
            // libevent detaches a request it was still waiting for us to answer and
            // leaves it to us: freeing it is ours (else one leaks per client that left).
            if (!d->done && d->req && evhttp_request_get_connection(d->req) == nullptr) evhttp_request_free(d->req);
            d->req = nullptr;
            d->evcon = nullptr;
            if (d->fill) d->fill->client_closed(d);
        },
        this);
}

void Downstream::unwatch() {
    if (watching && evcon) evhttp_connection_set_closecb(evcon, nullptr, nullptr);
    watching = false;
}

void Downstream::answered() {
    done = true;
    req = nullptr;  // evhttp owns (and may already have freed) both from here on
    evcon = nullptr;
}

// ---- Fill ----------------------------------------------------------------------------

Fill::Fill(Cache& cache, Kind kind, std::string url, Route route, std::unique_ptr<Downstream> first,
           std::optional<StoredObject> stale)
    : cache_(cache), kind_(kind), url_(std::move(url)), route_(std::move(route)), stale_(std::move(stale)),
      sweep_(cache.loop_, [this] { sweep(); }) {
    if (first) {
        request_headers_ = first->headers;
        has_first_ = true;
        first->fill = this;
        first->watch_close();
        waiters_.push_back(std::move(first));
    }
}

void Fill::set_request_headers(Headers h) { request_headers_ = std::move(h); }

Fill::~Fill() {
    if (exchange_) cache_.client_.cancel(exchange_);
    for (auto& d : waiters_) {
        if (d->closed || d->done) continue;
        d->fill = nullptr;
        if (d->started) {
            drop_connection(*d);  // a truncated answer: the close says so
        } else {
            d->unwatch();
            evhttp_send_error(d->req, 503, "Service Unavailable");
            d->answered();
        }
    }
    if (writer_) cache_.store_->abort(std::move(writer_));
    if (read_fd_ >= 0) ::close(read_fd_);
}

void Fill::begin(std::vector<Upstream> candidates) {
    candidates_ = std::move(candidates);
    deadline_us_ = Loop::now_us() + cache_.cfg_.services.failover_budget_us;
    attempt();
}

bool Fill::join(std::unique_ptr<Downstream>& d) {
    // Only a fill that will still answer, and answer with what this request may get.
    if (finished_ || complete_ || validated_ || use_stale_ || kind_ == Kind::Pass || (have_head_ && !storable_))
        return false;
    if (have_head_ && !compatible(*d)) return false;
    if (kind_ == Kind::Validate && stale_ && !vary_matches(stale_->response.headers, stale_->request_headers, d->headers))
        return false;
    d->fill = this;
    d->watch_close();
    if (have_head_) {
        d->upstream = current_.to.str();
        if (current_.peer) d->x_cache = "PEER";  // as the waiters had at the head
    }
    Downstream& ref = *d;
    waiters_.push_back(std::move(d));
    if (have_head_) start_reply(ref);
    return true;
}

bool Fill::compatible(const Downstream& d) const {
    return vary_matches(head_.headers, request_headers_, d.headers);
}

void Fill::attempt() {
    if (next_ >= candidates_.size()) {
        serve_stale_or_fail(502, "no upstream answered");
        return;
    }
    // Services have a time budget; a cache fill always gets to the origin, its last candidate.
    if (kind_ == Kind::Pass && next_ > 0 && candidates_.size() > 1 && Loop::now_us() > deadline_us_) {
        serve_stale_or_fail(504, "no upstream answered in time");
        return;
    }
    current_ = candidates_[next_++];
    ClientRequest r;
    const Downstream* first = waiters_.empty() ? nullptr : waiters_.front().get();
    r.method = kind_ == Kind::Pass && first ? first->method : "GET";
    r.target = current_.target;
    r.headers = strip_hop_by_hop(request_headers_);
    drop_framing(r.headers);
    if (kind_ != Kind::Pass) drop_client_conditionals(r.headers);
    if (kind_ == Kind::Validate && stale_)
        for (auto& h : conditional_request_headers(stale_->response.headers)) r.headers.push_back(std::move(h));
    // The host is the one of the URL we key by, never a client's own X-Forwarded-Host.
    std::string host = url_.substr(7, url_.find('/', 7) - 7);
    remove_header(r.headers, "host");
    remove_header(r.headers, "x-forwarded-host");
    // A peer keys its copies by the URL, so it must see the same Host.
    if (current_.peer) r.headers.emplace_back("Host", host);
    else r.headers.emplace_back("X-Forwarded-Host", host);
    remove_header(r.headers, "x-sr-peer");
    if (current_.peer) {
        peer_mark_ = peer_mark(cache_.cfg_.peer_key, url_, wall_seconds());
        r.headers.emplace_back("X-SR-Peer", peer_mark_);
    }
    r.headers.emplace_back("Via", "1.1 sr-cached");
    if (first) {
        auto xff = get_combined(request_headers_, "x-forwarded-for");
        remove_header(r.headers, "x-forwarded-for");
        r.headers.emplace_back("X-Forwarded-For", xff ? *xff + ", " + first->client : first->client);
        if (kind_ == Kind::Pass) r.body = first->body;
    }
    r.dscp = route_.dscp;
    request_time_ = wall_seconds();
    if (!current_.peer) ++cache_.stats_.origin_fetches;
    // An error escaping a callback would unwind through libevent: each ends here.
    exchange_ = cache_.client_.fetch(current_.to, std::move(r),
                                     {[this](const ResponseHead& h) { guarded([&] { on_head(h); }); },
                                      [this](const char* p, std::size_t n) { guarded([&] { on_body(p, n); }); },
                                      [this](bool ok, const std::string& e) { guarded([&] { on_done(ok, e); }); }});
}

void Fill::guarded(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        log::error(url_, ": ", e.what());
        drop_exchange();
        have_head_ = true;  // no second upstream: end what was started
        if (writer_) cache_.store_->abort(std::move(writer_));
        storable_ = false;
        complete_ = true;
        cache_.not_joinable(this);
        for (auto& d : waiters_) {
            if (d->closed || d->done) continue;
            if (d->started) drop_connection(*d);
            else reply_error(*d, 502, "the cache failed: " + std::string(e.what()));
        }
        sweep_.arm_in(0);
    }
}

void Fill::drop_exchange() {
    cache_.client_.cancel(exchange_);  // no callback of it runs after this
    exchange_.reset();
}

void Fill::next_upstream() {
    drop_exchange();
    attempt();
}

void Fill::abandon_upstream(const std::string& why) {
    drop_exchange();
    upstream_failed(why);
}

void Fill::drop_connection(Downstream& d) {
    d.unwatch();
    evhttp_connection_free(d.evcon);
    d.answered();
}

void Fill::on_head(const ResponseHead& head) {
    response_time_ = wall_seconds();
    std::int64_t now = response_time_;
    if (current_.peer && head.status != 200) {  // the peer lost its copy: next holder
        next_upstream();
        return;
    }
    if (kind_ == Kind::Pass && head.status >= 500 && next_ < candidates_.size() && Loop::now_us() < deadline_us_) {
        log::warn(url_, ": ", current_.name, " answered ", head.status, ", trying the next");  // service failover
        ++cache_.stats_.service_failovers;
        next_upstream();
        return;
    }
    if (kind_ == Kind::Validate && stale_ && head.status == 304) {
        if (validates_stored(stale_->response.headers, head.headers)) {
            validated_ = true;  // served from the store when the exchange ends
            cache_.not_joinable(this);
            headers_304_ = head.headers;
            return;
        }
        // A 304 for something we do not hold: ask again without conditions.
        drop_exchange();
        kind_ = Kind::Cacheable;
        stale_.reset();
        --next_;
        attempt();
        return;
    }
    if (head.status == 304 && kind_ != Kind::Pass) {  // we sent no conditional: never pass a 304 on
        abandon_upstream("an unasked-for 304");
        return;
    }
    if (kind_ != Kind::Pass && stale_ && head.status >= 500) {
        bool any = std::any_of(waiters_.begin(), waiters_.end(), [&](const auto& d) {
            return may_serve_stale_on_error(d->headers, stale_->response, now, cache_.cfg_.policy);
        });
        if (any) {
            use_stale_ = true;
            cache_.not_joinable(this);
            return;
        }
    }
    ResponseHead checked = head;
    if (current_.peer) {
        if (head.content_length != UINT64_MAX &&
            std::none_of(current_.promised.begin(), current_.promised.end(),
                         [&](const PromisedBody& b) { return b.size == head.content_length; })) {
            reject_peer_body("its length is none its pointers give");
            return;
        }
        if (cache_.cfg_.peer_key) {
            // Only the fields the holder signed, bound to our request, are kept.
            auto fields = authentic_peer_response(*cache_.cfg_.peer_key, peer_mark_, url_, head.status, head.headers);
            if (!fields) {
                reject_peer_body("its header fields are not signed with the peer key");
                return;
            }
            checked.headers = std::move(*fields);
        }
    }
    have_head_ = true;
    head_ = checked;
    status_ = head.status;
    for (auto& d : waiters_) d->upstream = current_.to.str();
    unverified_ = current_.peer;
    if (current_.peer) {
        ++cache_.stats_.peer_fills;
        for (auto& d : waiters_) d->x_cache = "PEER";
    }
    const Downstream* first = waiters_.empty() ? nullptr : waiters_.front().get();
    if (kind_ == Kind::Pass) {
        if (first) cache_.invalidate(first->method, status_, url_, head_.headers);
    } else {
        StoreDecision sd = storability("GET", status_, request_headers_, head_.headers, cache_.cfg_.policy);
        storable_ = sd.store;
        strip_fields_ = sd.strip_fields;
        if (storable_ && head.content_length != UINT64_MAX && head.content_length > max_object()) {
            storable_ = false;
            sd.reason = "larger than an eighth of --max-size";
        }
        if (!storable_) log::debug("not storing ", url_, ": ", sd.reason);
    }
    reply_headers_ = strip_hop_by_hop(head_.headers);
    drop_framing(reply_headers_);
    remove_header(reply_headers_, "x-cache");  // a peer's verdict, not ours
    for (const auto& f : strip_fields_) remove_header(reply_headers_, f);
    try {
        writer_ = cache_.store_->begin();
        // Read-write: behind the slowest reader of an answer not to be stored, hold_back() punches holes.
        read_fd_ = ::open(writer_->path().c_str(), O_RDWR | O_CLOEXEC);
        if (read_fd_ < 0) throw Error("io", "cannot read back " + writer_->path());
        sha_ = std::make_unique<Sha256>();
    } catch (const Error& e) {
        log::error("cannot fill ", url_, ": ", e.what());
        abandon_upstream(e.what());
        return;
    }
    // Share only what may be shared: an answer not to be stored goes to the request that asked for it.
    std::vector<std::unique_ptr<Downstream>> keep, alone;
    for (std::size_t i = 0; i < waiters_.size(); ++i) {
        bool shareable = (i == 0 && has_first_) || (storable_ && compatible(*waiters_[i]));
        (shareable ? keep : alone).push_back(std::move(waiters_[i]));
    }
    waiters_ = std::move(keep);
    if (!storable_) cache_.not_joinable(this);
    for (auto& d : alone) send_alone(std::move(d));
    for (std::size_t i = 0; i < waiters_.size(); ++i) start_reply(*waiters_[i]);
}

void Fill::on_body(const char* data, std::size_t n) {
    if (!writer_) return;  // a 304 or an error body we do not use
    if (unverified_ && available_ + n > largest_promised()) {
        reject_peer_body("it is longer than the pointer says");
        return;
    }
    sha_->update(data, n);
    try {
        writer_->write(data, n);
    } catch (const Error& e) {
        log::error("cannot fill ", url_, ": ", e.what());
        abandon_upstream(e.what());
        return;
    }
    available_ += n;
    cache_.stats_.bytes_in += n;
    hold_back();
    if (storable_ && available_ > max_object()) {
        storable_ = false;  // kept streaming to its waiters, never stored
        cache_.not_joinable(this);
    }
    for (std::size_t i = 0; i < waiters_.size(); ++i) feed(*waiters_[i]);
}

void Fill::on_done(bool ok, const std::string& error) {
    exchange_.reset();
    if (!ok) {
        upstream_failed(error);
        return;
    }
    std::int64_t now = wall_seconds();
    if (validated_) {
        update_from_304(stale_->response, headers_304_, request_time_, response_time_);
        try {
            cache_.store_->update(*stale_, now);
        } catch (const Error& e) {
            log::error("cannot update ", url_, " after a 304: ", e.what());
        }
        cache_.forget_hot(url_);
        Freshness f = freshness_lifetime(stale_->response.status, stale_->response.headers, response_time_,
                                         cache_.cfg_.policy);
        cache_.committed(*stale_, f.lifetime - current_age(stale_->response, now), {});  // pointer again
        ++cache_.stats_.revalidated;
        complete_ = true;
        std::vector<std::unique_ptr<Downstream>> others;
        for (auto& d : waiters_) {
            if (d->closed || d->done) continue;
            if (!vary_matches(stale_->response.headers, stale_->request_headers, d->headers)) {
                others.push_back(std::move(d));
                continue;
            }
            if (!cache_.serve_from_store(*d, url_, stale_->variant, "REVALIDATED"))
                reply_error(*d, 502, "the stored copy went away while it was validated");
        }
        for (auto& d : others) send_alone(std::move(d));
        sweep_.arm_in(0);
        return;
    }
    if (use_stale_) {
        serve_stale_or_fail(502, "the origin failed");
        return;
    }
    if (sha_) digest_ = sha_->hex();
    if (unverified_) {
        if (std::none_of(current_.promised.begin(), current_.promised.end(),
                         [&](const PromisedBody& b) { return b.size == available_ && b.digest == digest_; })) {
            reject_peer_body("its SHA-256 differs from the pointer's");
            return;
        }
        unverified_ = false;  // the body the holder announced: now it may be served and stored
    }
    complete_ = true;
    if (storable_ && head_.content_length != UINT64_MAX && head_.content_length != available_) storable_ = false;
    if (storable_) {
        StoredObject obj;
        obj.url = url_;
        obj.variant = secondary_key(head_.headers, request_headers_).value_or("");
        obj.response.status = status_;
        obj.response.headers = reply_headers_;
        obj.response.request_time = request_time_;
        obj.response.response_time = response_time_;
        for (const auto& field : vary_fields(head_.headers))
            if (auto v = get_combined(request_headers_, field)) obj.request_headers.emplace_back(field, *v);
        obj.body_size = available_;
        obj.digest = digest_;
        try {
            auto evicted = cache_.store_->commit(std::move(writer_), obj, now);
            Freshness f = freshness_lifetime(status_, head_.headers, response_time_, cache_.cfg_.policy);
            cache_.committed(obj, f.lifetime - current_age(obj.response, now), evicted);
        } catch (const Error& e) {
            log::error("cannot store ", url_, ": ", e.what());
        }
    } else if (writer_) {
        cache_.store_->abort(std::move(writer_));  // read_fd_ keeps the data for the waiters
    }
    for (std::size_t i = 0; i < waiters_.size(); ++i) {
        if (!waiters_[i]->started) start_reply(*waiters_[i]);
        feed(*waiters_[i]);
    }
    sweep_.arm_in(0);
}

void Fill::reject_peer_body(const std::string& why) {
    if (log::worth_logging(++cache_.stats_.peer_bodies_rejected))
        log::warn(url_, ": ", current_.name, " sent a body its replica pointer does not name (", why,
                  "); not used (peer_bodies_rejected = ", cache_.stats_.peer_bodies_rejected, ")");
    drop_exchange();
    forget_peer_body();
    attempt();  // the next holder, then the origin
}

std::uint64_t Fill::largest_promised() const {
    std::uint64_t most = 0;
    for (const auto& b : current_.promised) most = std::max(most, b.size);
    return most;
}

void Fill::forget_peer_body() {
    if (writer_) cache_.store_->abort(std::move(writer_));
    if (read_fd_ >= 0) ::close(read_fd_);
    read_fd_ = -1;
    sha_.reset();
    digest_.clear();
    have_head_ = storable_ = unverified_ = false;
    available_ = 0;
    for (auto& d : waiters_) d->x_cache = "MISS";
}

void Fill::upstream_failed(const std::string& error) {
    ++cache_.stats_.upstream_errors;
    log::warn(url_, ": ", current_.name, " failed: ", error);
    if (unverified_) {  // none of the peer's body went to anyone yet
        forget_peer_body();
        attempt();  // the next holder, then the origin
        return;
    }
    if (!have_head_ && !validated_ && !use_stale_) {
        // A service instance that cannot be reached is failed over, as one answering 5xx is.
        if (kind_ == Kind::Pass && next_ < candidates_.size()) ++cache_.stats_.service_failovers;
        attempt();  // the next holder or instance, then the origin
        return;
    }
    if (writer_) cache_.store_->abort(std::move(writer_));
    complete_ = true;
    storable_ = false;
    cache_.not_joinable(this);
    if (!have_head_) {
        serve_stale_or_fail(502, error);
        return;
    }
    for (auto& d : waiters_) {
        if (d->closed || d->done) continue;
        if (d->started) {  // a truncated answer: closing the connection says so
            d->fill = nullptr;
            drop_connection(*d);
        } else {
            reply_error(*d, 502, error);
        }
    }
    sweep_.arm_in(0);
}

void Fill::serve_stale_or_fail(int status, const std::string& why) {
    std::int64_t now = wall_seconds();
    complete_ = true;
    cache_.not_joinable(this);
    for (auto& d : waiters_) {
        if (d->closed || d->done) continue;
        if (stale_ && vary_matches(stale_->response.headers, stale_->request_headers, d->headers) &&
            may_serve_stale_on_error(d->headers, stale_->response, now, cache_.cfg_.policy) &&
            cache_.serve_from_store(*d, url_, stale_->variant, "STALE"))
            continue;
        reply_error(*d, status, why);
    }
    sweep_.arm_in(0);
}

void Fill::reply_error(Downstream& d, int status, const std::string& why) {
    cache_.reply(d, status, why + "\n", "ERROR");  // sets done, logs the access
    sweep_.arm_in(0);
}

void Fill::start_reply(Downstream& d) {
    if (d.closed || d.started || d.done || unverified_) return;
    std::uint64_t total = head_.content_length != UINT64_MAX ? head_.content_length
                          : complete_                        ? available_
                                                             : UINT64_MAX;
    Headers h = reply_headers_;
    if (!has_header(h, "age")) h.emplace_back("Age", "0");
    if (kind_ != Kind::Pass) remove_header(h, "surrogate-control");  // meant for surrogates only
    d.status = status_;
    d.offset = 0;
    d.end = UINT64_MAX;
    // HTTP/1.0 has no chunked coding: a body of unknown length waits until it is complete.
    if (total == UINT64_MAX && d.req->major == 1 && d.req->minor == 0 && has_body(status_, d.is_head())) return;
    auto range = kind_ != Kind::Pass && status_ == 200 && d.method == "GET" ? get_header(d.headers, "range") : std::nullopt;
    if (range && if_range_matches(d.headers, h)) {
        if (total == UINT64_MAX) return;  // the range can be placed only once the length is known
        RangeResult rr = parse_range(*range, total);
        if (rr.kind == RangeKind::Unsatisfiable) {
            d.status = 416;
            h = {{"Content-Range", content_range_unsatisfied(total)}};
            total = 0;
        } else if (rr.kind == RangeKind::Single) {
            d.status = 206;
            d.offset = rr.range.first;
            d.end = rr.range.last + 1;
            h.emplace_back("Content-Range", content_range(rr.range, total));
            total = d.end - d.offset;
        }
    }
    if (d.status == 200 && kind_ != Kind::Pass && not_modified(d.headers, h)) {
        d.status = 304;  // the client's own conditional, answered from the new copy
        total = 0;
    }
    h.emplace_back("X-Cache", d.x_cache);
    bool framed = d.status != 304 && d.status != 204 && d.status >= 200;  // no Content-Length on 1xx, 204, 304
    if (total != UINT64_MAX && framed) h.emplace_back("Content-Length", std::to_string(total));
    add_output_headers(d.req, h);
    if (!has_body(d.status, d.is_head()) || total == 0) {
        d.unwatch();
        evhttp_send_reply(d.req, d.status, nullptr, nullptr);
        d.answered();
        cache_.access(d, d.status);
        sweep_.arm_in(0);
        return;
    }
    d.started = true;
    evhttp_send_reply_start(d.req, d.status, nullptr);
    feed(d);
}

void Fill::feed(Downstream& d) {
    if (!d.started || d.in_flight || d.done || d.closed) return;
    std::uint64_t avail = std::min<std::uint64_t>(available_, d.end);
    if (d.offset < avail) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(avail - d.offset, 256 << 10));
        evbuffer* b = evbuffer_new();
        evbuffer_iovec v;
        evbuffer_reserve_space(b, static_cast<ev_ssize_t>(n), &v, 1);
        ssize_t got = ::pread(read_fd_, v.iov_base, n, static_cast<off_t>(d.offset));
        if (got <= 0) {
            evbuffer_free(b);
            upstream_failed("cannot read the body back");
            return;
        }
        v.iov_len = static_cast<std::size_t>(got);
        evbuffer_commit_space(b, &v, 1);
        d.offset += static_cast<std::uint64_t>(got);
        d.sent += static_cast<std::uint64_t>(got);
        cache_.stats_.bytes_out += static_cast<std::uint64_t>(got);
        d.in_flight = true;
        evhttp_send_reply_chunk_with_cb(
            d.req, b, [](evhttp_connection*, void* self) {
                auto* w = static_cast<Downstream*>(self);
                if (w->fill) w->fill->chunk_sent(w);
            },
            &d);
        evbuffer_free(b);
        return;
    }
    if (complete_ && (d.offset >= avail)) finish(d);
}

void Fill::chunk_sent(Downstream* d) {
    d->in_flight = false;
    feed(*d);
    hold_back();
}

// An answer that will not be stored exists on disk only for its readers: it
// may run at most kAheadMax ahead of the slowest of them. Past that the
// upstream is paused, and TCP holds the origin back; below kAheadResume it
// goes on. (A storable answer is bounded by max_object() instead.)
void Fill::hold_back() {
    constexpr std::uint64_t kAheadMax = 8 << 20, kAheadResume = 2 << 20;
    if (!exchange_ || storable_ || !have_head_) return;
    std::uint64_t slowest = available_;
    bool any = false;
    for (const auto& d : waiters_)
        if (d->started && !d->done && !d->closed) {
            slowest = std::min(slowest, d->offset);
            any = true;
        }
    std::uint64_t ahead = any ? available_ - slowest : 0;
    // What every reader has had is of no more use: give the disk back (whole MiBs).
    constexpr std::uint64_t kMiB = 1 << 20;
    std::uint64_t done_with = any ? slowest / kMiB * kMiB : 0;
    if (done_with > punched_) {
        if (::fallocate(read_fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(punched_),
                        static_cast<off_t>(done_with - punched_)) == 0)
            punched_ = done_with;
    }
    if (!paused_ && ahead > kAheadMax) {
        paused_ = true;
        ++cache_.stats_.upstream_pauses;
        log::debug(url_, ": ", ahead, " bytes ahead of the slowest reader: upstream paused");
        cache_.client_.pause(exchange_);
    } else if (paused_ && ahead < kAheadResume) {
        paused_ = false;
        log::debug(url_, ": upstream resumed");
        cache_.client_.resume(exchange_);
    }
}

void Fill::finish(Downstream& d) {
    d.unwatch();
    evhttp_send_reply_end(d.req);  // may free the connection at once (Connection: close)
    d.answered();
    cache_.access(d, d.status);
    sweep_.arm_in(0);
}

void Fill::client_closed(Downstream* d) {
    d->closed = true;
    sweep_.arm_in(0);
}

void Fill::send_alone(std::unique_ptr<Downstream> d) {
    d->fill = nullptr;
    d->unwatch();
    cache_.start_fill(std::move(d), route_, std::nullopt, /*joinable=*/false);
}

void Fill::sweep() {
    if (complete_ && !exchange_)
        for (auto& d : waiters_)
            if (!d->done && !d->closed && !d->started && !have_head_) reply_error(*d, 502, "no answer to share");
    waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(), [](const auto& d) { return d->done || d->closed; }),
                   waiters_.end());
    if (!waiters_.empty()) return;
    if (exchange_ && (kind_ == Kind::Pass || (have_head_ && !storable_))) {
        drop_exchange();  // nobody waits for an answer we would not keep
        complete_ = true;
    }
    if (!complete_ || exchange_) return;
    finished_ = true;
    cache_.not_joinable(this);
    cache_.fill_finished(this);
}

}  // namespace sr::cache
