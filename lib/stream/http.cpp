#include "stream/http.hpp"

#include "core/http_listen.hpp"
#include "core/error.hpp"
#include "core/file.hpp"
#include "core/log.hpp"
#include "core/net_limits.hpp"
#include "core/value.hpp"
#include "prox/alto_http.hpp"
#include "stream/fmp4.hpp"
#include "stream/playlist.hpp"
#include "stream/routes.hpp"
#include "stream/segment.hpp"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace sr::stream {

namespace {

constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kPlaylist = "public, max-age=3600";

const char* reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Content";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    }
    return "Error";
}

std::string header(evhttp_request* req, const char* name) {
    const char* v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
    return v ? v : "";
}

std::string http_date(std::int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

std::string etag_of(const FileId& id, const std::string& what) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "\"%llx-%llx-%llx-%s\"", static_cast<unsigned long long>(id.ino),
                  static_cast<unsigned long long>(id.size), static_cast<unsigned long long>(id.mtime_ns),
                  what.c_str());
    return buf;
}

// One answer being put together.
class Reply {
  public:
    explicit Reply(evhttp_request* req) : req_(req), out_(evhttp_request_get_output_headers(req)) {}
    void set(const char* name, const std::string& value) { evhttp_add_header(out_, name, value.c_str()); }
    // Validators; true when the client's copy is current (answered 304).
    bool validators(const std::string& etag, const FileId& id) {
        set("ETag", etag);
        set("Last-Modified", http_date(id.mtime_ns / 1'000'000'000));
        std::string inm = header(req_, "If-None-Match");
        if (!inm.empty() && (inm == "*" || inm.find(etag) != std::string::npos)) {
            evhttp_send_reply(req_, 304, reason(304), nullptr);
            return true;
        }
        return false;
    }
    void body(int status, const std::string& type, std::string bytes) {
        body_shared(status, type, std::make_shared<const std::string>(std::move(bytes)));
    }
    // A body shared with others (a live segment held by its channel).
    void body_shared(int status, const std::string& type, std::shared_ptr<const std::string> bytes) {
        set("Content-Type", type);
        evbuffer* buf = evbuffer_new();
        if (evhttp_request_get_command(req_) == EVHTTP_REQ_HEAD) {
            set("Content-Length", std::to_string(bytes->size()));  // evhttp would send the body: only its length
        } else if (!bytes->empty()) {
            // Referenced, not copied: the evbuffer lets go of it once sent.
            auto* owned = new std::shared_ptr<const std::string>(std::move(bytes));
            evbuffer_add_reference(
                buf, (*owned)->data(), (*owned)->size(),
                [](const void*, size_t, void* s) { delete static_cast<std::shared_ptr<const std::string>*>(s); },
                owned);
        }
        evhttp_send_reply(req_, status, reason(status), buf);
        evbuffer_free(buf);
    }
    void error(int status, const std::string& code, const std::string& message) {
        set("Cache-Control", "no-store");
        body(status, "application/json", Value{{"code", code}, {"message", message}}.dump() + "\n");
    }

  private:
    evhttp_request* req_;
    evkeyvalq* out_;
};

Value title_value(const Title& t) {
    Value rends = Value::array();
    double duration = 0;
    for (const auto& r : t.renditions) {
        const MediaIndex& idx = *r.index;
        duration = std::max(duration, idx.duration);
        Value codecs = Value::array();
        for (const auto& tr : idx.tracks) codecs.push_back(tr.codecs);
        Value v{{"name", r.name}, {"duration", idx.duration}, {"codecs", codecs},
                {"bitrate", idx.bitrate_average}, {"segments", idx.segments.size()}};
        if (const Track* vt = idx.video()) {
            v["width"] = vt->width;
            v["height"] = vt->height;
        }
        rends.push_back(v);
    }
    std::string base = "/vod/" + url_component(t.name);
    Value urls{{"hls", base + "/hls.m3u8"}, {"cmaf", base + "/cmaf.m3u8"}, {"dash", base + "/manifest.mpd"}};
    return Value{{"name", t.name}, {"duration", duration}, {"renditions", rends}, {"urls", urls}};
}

std::string live_url(const std::string& name) { return "/live/" + url_component(name); }

// The live routes, from memory.
void serve_live(Reply& reply, const Route& route, Channels& channels, rpc::Counters& counters) {
    if (route.kind == Route::Kind::live_index) {
        Value list = channels.describe();
        for (auto& c : list) {
            std::string base = live_url(c["name"].get<std::string>());
            c["urls"] = Value{{"hls", base + "/hls.m3u8"}, {"cmaf", base + "/cmaf.m3u8"}, {"dash", base + "/manifest.mpd"}};
        }
        reply.set("Cache-Control", "no-cache");
        return reply.body(200, "application/json", Value{{"channels", list}}.dump() + "\n");
    }
    LiveChannel* ch = channels.find(route.title);
    if (!ch) {
        ++counters["stream.not_found"];
        return reply.error(404, "not_found", "no live channel " + route.title);
    }
    bool video = route.track == Route::Track::video;
    std::string track = video ? "video" : "audio";
    auto gone = [&](const std::string& what) {
        reply.error(404, "not_found", what + " of " + route.title + " is not (or no longer) held");
    };
    // Segments and init segments: the same bytes for as long as they exist.
    if (route.kind == Route::Kind::live_segment || route.kind == Route::Kind::live_cmaf_segment ||
        route.kind == Route::Kind::live_cmaf_init) {
        std::shared_ptr<const std::string> bytes;
        std::string type = "video/mp2t", tag = "live";
        FileId id;
        if (route.kind == Route::Kind::live_cmaf_init) {
            auto f = ch->fmp4_of_epoch(route.segment);
            if (!f || !(video ? f->video : f->audio)) return gone(track + " init segment " + std::to_string(route.segment));
            const auto& frag = video ? f->video : f->audio;  // a reference into *f, which `bytes` keeps
            bytes = std::shared_ptr<const std::string>(f, &frag->init);
            type = "video/mp4";
            tag = "init-" + track;
            id.ino = route.segment;
        } else {
            const LiveSegment* seg = ch->segment(route.segment);
            if (!seg) return gone("segment " + std::to_string(route.segment));
            id.ino = seg->seq;
            id.mtime_ns = seg->wall_us * 1000;
            if (route.kind == Route::Kind::live_segment) {
                bytes = seg->bytes;
            } else {
                auto f = ch->fmp4(route.segment);
                const auto& frag = video ? f->video : f->audio;  // a reference into *f, which `bytes` keeps
                if (!frag) return gone(track + " of segment " + std::to_string(route.segment));
                bytes = std::shared_ptr<const std::string>(f, &frag->media);
                type = "video/iso.segment";
                tag = track;
            }
        }
        id.size = static_cast<off_t>(bytes->size());
        if (reply.validators(etag_of(id, tag), id)) return;
        ++counters["stream.live_served"];
        reply.set("Cache-Control", "public, max-age=86400");
        return reply.body_shared(200, type, std::move(bytes));
    }
    std::optional<std::string> playlist;
    std::string type = "application/vnd.apple.mpegurl", tag;
    switch (route.kind) {
    case Route::Kind::live_multivariant: playlist = ch->multivariant_playlist(); tag = "live-hls"; break;
    case Route::Kind::live_media_ts: playlist = ch->media_playlist(); tag = "live-ts"; break;
    case Route::Kind::live_cmaf_multivariant: playlist = ch->cmaf_multivariant(); tag = "live-cmaf"; break;
    case Route::Kind::live_cmaf_media: playlist = ch->cmaf_media(video); tag = "live-cmaf-" + track; break;
    default:
        playlist = ch->dash_manifest(Loop::wall_now_us());
        type = "application/dash+xml";
        tag = "live-mpd";
    }
    if (!playlist) {
        reply.set("Retry-After", std::to_string(static_cast<int>(std::ceil(ch->segment_seconds()))));
        return reply.error(503, "unavailable", "live channel " + route.title + " has no segment yet");
    }
    FileId id;
    id.ino = ch->segments_made();
    id.mtime_ns = ch->updated_wall_us() * 1000;
    if (reply.validators(etag_of(id, tag), id)) return;
    // At most half a segment stale, so a player behind a cache still sees
    // each segment about when it is made (RFC 8216 6.2.2).
    reply.set("Cache-Control", "public, max-age=" + std::to_string(static_cast<int>(ch->segment_seconds() / 2)));
    reply.body(200, type, std::move(*playlist));
}

}  // namespace

StreamHttp::StreamHttp(Loop& loop, Catalog& catalog, Channels& channels, HttpConfig cfg, rpc::Counters& counters)
    : catalog_(catalog), channels_(channels), cfg_(std::move(cfg)), counters_(counters), conns_(loop, cfg_.connections) {
    auto bound = bind_http(loop, cfg_.listen, "http");
    http_ = bound.http;
    port_ = bound.port;
    conns_.attach(http_);
    evhttp_set_max_body_size(http_, 0);
    evhttp_set_max_headers_size(http_, 16 << 10);
    evhttp_set_timeout(http_, cfg_.timeout_s);
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                          EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(http_, &StreamHttp::on_request, this);
    log::info("http: listening on ", cfg_.listen, " (port ", port_, "), media from ", catalog_.media_dir());
}

StreamHttp::~StreamHttp() {
    conns_.detach();
    if (http_) evhttp_free(http_);
}

void StreamHttp::on_request(evhttp_request* req, void* self) { static_cast<StreamHttp*>(self)->handle(req); }

void StreamHttp::handle(evhttp_request* req) {
    if (!conns_.request_started(req)) {  // refused or timed out: its socket is shut
        evhttp_send_error(req, 503, "Service Unavailable");
        return;
    }
    ++counters_["stream.requests"];
    Reply reply(req);
    // Public media: players on any web page may fetch it (hls.js and dash.js
    // use XHR/fetch, which needs CORS); nothing here depends on cookies.
    reply.set("Access-Control-Allow-Origin", "*");
    reply.set("Access-Control-Expose-Headers", "Content-Length, Content-Range, ETag");
    auto command = evhttp_request_get_command(req);
    if (command != EVHTTP_REQ_GET && command != EVHTTP_REQ_HEAD) {
        reply.set("Allow", "GET, HEAD");
        return reply.error(405, "invalid_request", "only GET and HEAD");
    }
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* raw = uri ? evhttp_uri_get_path(uri) : nullptr;
    std::size_t n = 0;
    char* decoded = evhttp_uridecode(raw ? raw : "/", 0, &n);
    std::string path = decoded ? std::string(decoded, n) : "";
    std::free(decoded);
    auto route = parse_route(path);
    if (!route) {
        ++counters_["stream.not_found"];
        return reply.error(404, "not_found", "no such path (see sr-streamd(8) for the paths)");
    }
    try {
        if (route->kind >= Route::Kind::live_index) return serve_live(reply, *route, channels_, counters_);
        if (route->kind == Route::Kind::index) {
            Value titles = Value::array();
            for (const auto& name : catalog_.names()) {
                try {
                    if (auto t = catalog_.title(name)) titles.push_back(title_value(*t));
                } catch (const Error& e) {
                    titles.push_back(Value{{"name", name}, {"error", e.what()}});
                }
            }
            reply.set("Cache-Control", "no-cache");
            return reply.body(200, "application/json", Value{{"titles", titles}}.dump() + "\n");
        }
        auto title = catalog_.title(route->title);
        if (!title) {
            ++counters_["stream.not_found"];
            return reply.error(404, "not_found", "no title " + route->title);
        }
        const IndexedRendition* rend =
            route->rendition.empty() ? &title->renditions.front() : title->rendition(route->rendition);
        if (!rend) return reply.error(404, "not_found", "no rendition " + route->rendition + " in " + route->title);

        if (route->kind == Route::Kind::hls_multivariant || route->kind == Route::Kind::cmaf_multivariant ||
            route->kind == Route::Kind::dash_manifest) {
            // Their validators change with any rendition's file.
            std::string ids;
            FileId newest = rend->id;
            for (const auto& r : title->renditions) {
                ids += etag_of(r.id, r.name);
                if (r.id.mtime_ns > newest.mtime_ns) newest = r.id;
            }
            const char* what = route->kind == Route::Kind::hls_multivariant   ? "hls"
                               : route->kind == Route::Kind::cmaf_multivariant ? "cmaf"
                                                                               : "mpd";
            char h[48];
            std::snprintf(h, sizeof h, "\"%zx-%s\"", std::hash<std::string>{}(ids), what);
            if (reply.validators(h, newest)) return;
            reply.set("Cache-Control", kPlaylist);
            auto renditions = title->playlist_renditions();
            if (route->kind == Route::Kind::hls_multivariant)
                return reply.body(200, "application/vnd.apple.mpegurl", hls_multivariant_ts(renditions));
            if (route->kind == Route::Kind::cmaf_multivariant)
                return reply.body(200, "application/vnd.apple.mpegurl", hls_multivariant_cmaf(renditions));
            return reply.body(200, "application/dash+xml", dash_manifest(renditions));
        }
        if (route->kind == Route::Kind::hls_media_ts) {
            if (reply.validators(etag_of(rend->id, "ts"), rend->id)) return;
            reply.set("Cache-Control", kPlaylist);
            return reply.body(200, "application/vnd.apple.mpegurl", hls_media_ts(*rend->index));
        }
        // fMP4: one track of the rendition.
        int track = -1;
        std::string track_name = route->track == Route::Track::video ? "video" : "audio";
        if (route->track != Route::Track::none) {
            auto kind = route->track == Route::Track::video ? Track::Kind::video : Track::Kind::audio;
            for (std::size_t t = 0; t < rend->index->tracks.size(); ++t)
                if (rend->index->tracks[t].kind == kind) track = static_cast<int>(t);
            if (track < 0)
                return reply.error(404, "not_found", "no " + track_name + " track in " + route->title + "/" + rend->name);
        }
        if (route->kind == Route::Kind::cmaf_media) {
            if (reply.validators(etag_of(rend->id, "cmaf-" + track_name), rend->id)) return;
            reply.set("Cache-Control", kPlaylist);
            return reply.body(200, "application/vnd.apple.mpegurl",
                              hls_media_cmaf(*rend->index, static_cast<std::size_t>(track)));
        }
        if (route->kind == Route::Kind::cmaf_init) {
            // Made from the index's codec parameters alone: no file to read.
            if (reply.validators(etag_of(rend->id, "init-" + track_name), rend->id)) return;
            std::string bytes = fmp4_init(*rend->index, static_cast<std::size_t>(track));
            reply.set("Cache-Control", kImmutable);
            return reply.body(200, "video/mp4", std::move(bytes));
        }
        if (route->kind == Route::Kind::cmaf_segment &&
            route->segment >= fmp4_segments(*rend->index, static_cast<std::size_t>(track)))
            return reply.error(404, "not_found", "no segment " + std::to_string(route->segment) + " of " +
                                                     route->title + "/" + rend->name + "/" + track_name);
        // The file itself: what is served must be what was indexed.
        UniqueFd fd(::open(rend->path.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd.get() < 0) return reply.error(404, "not_found", "the file of " + route->title + " is gone");
        auto id = file_id(fd.get());
        if (!id || !(*id == rend->id)) {
            reply.set("Retry-After", "1");
            return reply.error(503, "unavailable", "the file changed while being read; retry");
        }
        if (route->kind == Route::Kind::ts_segment && route->segment >= rend->index->segments.size())
            return reply.error(404, "not_found", "no segment " + std::to_string(route->segment));
        if (route->kind == Route::Kind::ts_segment || route->kind == Route::Kind::cmaf_segment) {
            bool ts = route->kind == Route::Kind::ts_segment;
            std::string what = (ts ? std::string("s") : track_name) + std::to_string(route->segment);
            if (reply.validators(etag_of(rend->id, what), rend->id)) return;
            std::string bytes = ts ? ts_segment(*rend->index, route->segment, fd.get())
                                   : fmp4_segment(*rend->index, static_cast<std::size_t>(track), route->segment,
                                                  fd.get());
            ++counters_["stream.segments"];
            reply.set("Cache-Control", kImmutable);
            return reply.body(200, ts ? "video/mp2t" : "video/iso.segment", std::move(bytes));
        }
        // Progressive: the file's own bytes, with ranges.
        std::string etag = etag_of(rend->id, "mp4");
        if (reply.validators(etag, rend->id)) return;
        reply.set("Cache-Control", kImmutable);
        reply.set("Accept-Ranges", "bytes");
        reply.set("Content-Type", "video/mp4");
        auto size = static_cast<std::uint64_t>(rend->id.size);
        RangeAnswer range = parse_range(header(req, "Range"), size);
        std::string if_range = header(req, "If-Range");
        if (!if_range.empty() && if_range != etag && if_range != http_date(rend->id.mtime_ns / 1'000'000'000))
            range.kind = RangeAnswer::Kind::whole;  // the client's copy is another version: all of it
        if (range.kind == RangeAnswer::Kind::unsatisfiable) {
            reply.set("Content-Range", "bytes */" + std::to_string(size));
            return reply.error(416, "invalid_params", "range outside the file");
        }
        std::uint64_t first = 0, length = size;
        int status = 200;
        if (range.kind == RangeAnswer::Kind::partial) {
            first = range.range.first;
            length = range.range.last - range.range.first + 1;
            status = 206;
            reply.set("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(range.range.last) +
                                           "/" + std::to_string(size));
        }
        evbuffer* buf = evbuffer_new();
        if (command == EVHTTP_REQ_HEAD) {
            reply.set("Content-Length", std::to_string(length));
        } else if (evbuffer_add_file(buf, fd.get(), static_cast<ev_off_t>(first), static_cast<ev_off_t>(length)) == 0) {
            fd.release();  // the buffer owns it now
        } else {
            evbuffer_free(buf);
            return reply.error(500, "io", "cannot send the file");
        }
        evhttp_send_reply(req, status, reason(status), buf);
        evbuffer_free(buf);
        ++counters_["stream.progressive"];
    } catch (const Error& e) {
        ++counters_["stream.bad_media"];
        if (log::worth_logging(counters_["stream.bad_media"])) log::warn(e.what());
        reply.error(e.code == "bad_media" ? 422 : 500, e.code, e.what());
    }
}

}  // namespace sr::stream
