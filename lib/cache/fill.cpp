#include "cache/fill.hpp"

#include "cache/evhttp_util.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

#include <event2/bufferevent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace sr::cache {

namespace {

const char* method_name(evhttp_cmd_type t) {
    switch (t) {
        case EVHTTP_REQ_GET: return "GET";
        case EVHTTP_REQ_POST: return "POST";
        case EVHTTP_REQ_HEAD: return "HEAD";
        case EVHTTP_REQ_PUT: return "PUT";
        case EVHTTP_REQ_DELETE: return "DELETE";
        case EVHTTP_REQ_OPTIONS: return "OPTIONS";
        case EVHTTP_REQ_TRACE: return "TRACE";
        case EVHTTP_REQ_CONNECT: return "CONNECT";
        case EVHTTP_REQ_PATCH: return "PATCH";
    }
    return "GET";
}

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
    method = method_name(evhttp_request_get_command(r));
    headers = input_headers(r);
    std::string target = evhttp_request_get_uri(r);
    if (target.rfind("http://", 0) == 0) {  // absolute-form
        try {
            Url u = parse_url(target);
            host = u.authority();
            target = u.path;
        } catch (const Error&) {
        }
    }
    if (host.empty()) host = std::string(get_header(headers, "host").value_or(""));
    for (auto& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    path = target.empty() ? "/" : target;
    url = "http://" + (host.empty() ? std::string("-") : host) + path;
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

Downstream::~Downstream() {
    if (fill && !closed && evcon) evhttp_connection_set_closecb(evcon, nullptr, nullptr);
}

void Downstream::watch_close() {
    if (!evcon) return;
    evhttp_connection_set_closecb(
        evcon,
        [](evhttp_connection*, void* self) {
            auto* d = static_cast<Downstream*>(self);
            d->closed = true;
            if (d->fill) d->fill->client_closed(d);
        },
        this);
}

// ---- Fill ----------------------------------------------------------------------------

Fill::Fill(Cache& cache, Kind kind, std::string url, Route route, std::unique_ptr<Downstream> first,
           std::optional<StoredObject> stale)
    : cache_(cache), kind_(kind), url_(std::move(url)), route_(std::move(route)), stale_(std::move(stale)),
      sweep_(cache.loop_, [this] { sweep(); }) {
    if (first) {
        request_headers_ = first->headers;
        first->fill = this;
        first->watch_close();
        waiters_.push_back(std::move(first));
    }
}

Fill::~Fill() {
    if (exchange_) cache_.client_.cancel(exchange_);
    for (auto& d : waiters_) {
        if (d->closed || d->done) continue;
        if (d->started) evhttp_connection_free(d->evcon);  // a truncated answer: the close says so
        else {
            d->fill = nullptr;
            evhttp_connection_set_closecb(d->evcon, nullptr, nullptr);
            evhttp_send_error(d->req, 503, "Service Unavailable");
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
    if (finished_ || kind_ == Kind::Pass || (have_head_ && !storable_)) return false;
    if (have_head_ && !compatible(*d)) return false;
    d->fill = this;
    d->watch_close();
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
    if (auto host = get_header(request_headers_, "host")) {
        remove_header(r.headers, "host");
        // A peer keys its copies by the URL, so it must see the client's Host.
        if (current_.peer) r.headers.emplace_back("Host", std::string(*host));
        else r.headers.emplace_back("X-Forwarded-Host", std::string(*host));
    }
    if (current_.peer) r.headers.emplace_back("X-SR-Peer", "1");
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
    exchange_ = cache_.client_.fetch(current_.to, std::move(r),
                                     {[this](const ResponseHead& h) { on_head(h); },
                                      [this](const char* p, std::size_t n) { on_body(p, n); },
                                      [this](bool ok, const std::string& e) { on_done(ok, e); }});
}

void Fill::on_head(const ResponseHead& head) {
    response_time_ = wall_seconds();
    std::int64_t now = response_time_;
    if (current_.peer && head.status != 200) {  // the peer lost its copy: next holder
        cache_.client_.cancel(exchange_);
        exchange_.reset();
        attempt();
        return;
    }
    if (kind_ == Kind::Pass && head.status >= 500 && next_ < candidates_.size() && Loop::now_us() < deadline_us_) {
        log::warn(url_, ": ", current_.name, " answered ", head.status, ", trying the next");  // service failover
        ++cache_.stats_.service_failovers;
        cache_.client_.cancel(exchange_);
        exchange_.reset();
        attempt();
        return;
    }
    if (kind_ == Kind::Validate && stale_ && head.status == 304 && validates_stored(stale_->response.headers, head.headers)) {
        validated_ = true;  // served from the store when the exchange ends
        headers_304_ = head.headers;
        return;
    }
    if (kind_ != Kind::Pass && stale_ && head.status >= 500) {
        bool any = std::any_of(waiters_.begin(), waiters_.end(), [&](const auto& d) {
            return may_serve_stale_on_error(d->headers, stale_->response, now, cache_.cfg_.policy);
        });
        if (any) {
            use_stale_ = true;
            return;
        }
    }
    have_head_ = true;
    head_ = head;
    status_ = head.status;
    if (current_.peer) {
        ++cache_.stats_.peer_fills;
        for (auto& d : waiters_) d->x_cache = "PEER";
    }
    const Downstream* first = waiters_.empty() ? nullptr : waiters_.front().get();
    if (kind_ == Kind::Pass) {
        if (first) cache_.invalidate(first->method, status_, url_, head.headers);
    } else {
        StoreDecision sd = storability("GET", status_, request_headers_, head.headers, cache_.cfg_.policy);
        storable_ = sd.store;
        strip_fields_ = sd.strip_fields;
        if (!storable_) log::debug("not storing ", url_, ": ", sd.reason);
    }
    reply_headers_ = strip_hop_by_hop(head.headers);
    drop_framing(reply_headers_);
    remove_header(reply_headers_, "x-cache");  // a peer's verdict, not ours
    for (const auto& f : strip_fields_) remove_header(reply_headers_, f);
    try {
        writer_ = cache_.store_->begin();
        read_fd_ = ::open(writer_->path().c_str(), O_RDONLY | O_CLOEXEC);
        if (read_fd_ < 0) throw Error("io", "cannot read back " + writer_->path());
    } catch (const Error& e) {
        log::error("cannot fill ", url_, ": ", e.what());
        upstream_failed(e.what());
        return;
    }
    // Share only what may be shared.
    std::vector<std::unique_ptr<Downstream>> keep, alone;
    for (std::size_t i = 0; i < waiters_.size(); ++i) {
        bool shareable = i == 0 || (storable_ && compatible(*waiters_[i]));
        (shareable ? keep : alone).push_back(std::move(waiters_[i]));
    }
    waiters_ = std::move(keep);
    if (!storable_) cache_.not_joinable(this);
    for (auto& d : alone) send_alone(std::move(d));
    for (std::size_t i = 0; i < waiters_.size(); ++i) start_reply(*waiters_[i]);
}

void Fill::on_body(const char* data, std::size_t n) {
    if (!writer_) return;  // a 304 or an error body we do not use
    try {
        writer_->write(data, n);
    } catch (const Error& e) {
        log::error("cannot fill ", url_, ": ", e.what());
        cache_.client_.cancel(exchange_);
        exchange_.reset();
        upstream_failed(e.what());
        return;
    }
    available_ += n;
    cache_.stats_.bytes_in += n;
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
        cache_.store_->update(*stale_, now);
        cache_.forget_hot(url_);
        Freshness f = freshness_lifetime(stale_->response.status, stale_->response.headers, response_time_,
                                         cache_.cfg_.policy);
        cache_.committed(*stale_, f.lifetime - current_age(stale_->response, now), {});  // pointer again
        ++cache_.stats_.revalidated;
        for (auto& d : waiters_) cache_.serve_from_store(*d, url_, stale_->variant, "REVALIDATED");
        complete_ = true;
        sweep_.arm_in(0);
        return;
    }
    if (use_stale_) {
        serve_stale_or_fail(502, "the origin failed");
        return;
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

void Fill::upstream_failed(const std::string& error) {
    ++cache_.stats_.upstream_errors;
    log::warn(url_, ": ", current_.name, " failed: ", error);
    if (!have_head_ && !validated_ && !use_stale_) {
        attempt();  // the next holder, then the origin
        return;
    }
    if (writer_) cache_.store_->abort(std::move(writer_));
    complete_ = true;
    storable_ = false;
    if (!have_head_) {
        serve_stale_or_fail(502, error);
        return;
    }
    for (auto& d : waiters_) {
        if (d->closed || d->done) continue;
        if (d->started) {  // a truncated answer: closing the connection says so
            d->done = true;
            d->fill = nullptr;
            evhttp_connection_set_closecb(d->evcon, nullptr, nullptr);
            evhttp_connection_free(d->evcon);
        } else {
            reply_error(*d, 502, error);
        }
    }
    sweep_.arm_in(0);
}

void Fill::serve_stale_or_fail(int status, const std::string& why) {
    std::int64_t now = wall_seconds();
    complete_ = true;
    for (auto& d : waiters_) {
        if (d->closed || d->done) continue;
        if (stale_ && may_serve_stale_on_error(d->headers, stale_->response, now, cache_.cfg_.policy)) {
            cache_.serve_from_store(*d, url_, stale_->variant, "STALE");
            if (d->done) continue;
        }
        reply_error(*d, status, why);
    }
    sweep_.arm_in(0);
}

void Fill::reply_error(Downstream& d, int status, const std::string& why) {
    cache_.reply(d, status, why + "\n", "ERROR");  // sets done, logs the access
    sweep_.arm_in(0);
}

void Fill::start_reply(Downstream& d) {
    if (d.closed || d.started || d.done) return;
    std::uint64_t total = head_.content_length != UINT64_MAX ? head_.content_length
                          : complete_                        ? available_
                                                             : UINT64_MAX;
    Headers h = reply_headers_;
    if (!has_header(h, "age")) h.emplace_back("Age", "0");
    if (kind_ != Kind::Pass) remove_header(h, "surrogate-control");  // meant for surrogates only
    d.status = status_;
    d.offset = 0;
    d.end = UINT64_MAX;
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
    if (total != UINT64_MAX && d.status != 304) h.emplace_back("Content-Length", std::to_string(total));
    add_output_headers(d.req, h);
    if (!has_body(d.status, d.is_head()) || total == 0) {
        d.done = true;
        evhttp_send_reply(d.req, d.status, nullptr, nullptr);
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
}

void Fill::finish(Downstream& d) {
    d.done = true;
    evhttp_connection_set_closecb(d.evcon, nullptr, nullptr);
    evhttp_send_reply_end(d.req);
    cache_.access(d, d.status);
    sweep_.arm_in(0);
}

void Fill::client_closed(Downstream* d) {
    d->closed = true;
    sweep_.arm_in(0);
}

void Fill::send_alone(std::unique_ptr<Downstream> d) {
    d->fill = nullptr;
    evhttp_connection_set_closecb(d->evcon, nullptr, nullptr);
    cache_.start_fill(std::move(d), route_, std::nullopt, /*joinable=*/false);
}

void Fill::sweep() {
    waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(), [](const auto& d) { return d->done || d->closed; }),
                   waiters_.end());
    if (!waiters_.empty()) return;
    if (exchange_ && (kind_ == Kind::Pass || (have_head_ && !storable_))) {
        cache_.client_.cancel(exchange_);  // nobody waits for an answer we would not keep
        exchange_.reset();
        complete_ = true;
    }
    if (!complete_ || exchange_) return;
    finished_ = true;
    cache_.fill_finished(this);
}

}  // namespace sr::cache
