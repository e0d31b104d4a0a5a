// sr-streamd's HTTP server: the routes of routes.hpp over evhttp.
//
// Playlists and segments are made on the loop's thread from the cached
// indexes (a segment is a few pread calls and a mux into memory); the
// progressive file goes out with evbuffer_add_file (sendfile). Every answer
// carries validators: an ETag naming the file's identity (and the segment),
// Last-Modified from the file; If-None-Match gives 304. Segments (MPEG-TS,
// fMP4 init and media) and the file are immutable for a given identity and
// cached for a year; playlists and the DASH manifest for an hour. A track or
// segment the title does not have is a 404. Bad media gets 422 and one log
// line per file; a title that does not exist, 404.
//
// Live channels (channels.hpp) are served from memory: playlists with
// max-age half a segment (a cache in front serves each one at most that
// stale), segments for a day (their numbers do not repeat, see
// LiveConfig::first_seq). A channel with no complete segment yet is a 503
// with Retry-After, which players retry.
#pragma once

#include "core/http_admission.hpp"
#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "stream/catalog.hpp"
#include "stream/channels.hpp"

#include <cstdint>
#include <string>

struct evhttp;
struct evhttp_request;

namespace sr::stream {

struct HttpConfig {
    std::string listen;  // ADDR:PORT
    int timeout_s = 60;
    ConnectionLimits connections;  // how many per address, how slow, how idle (core/http_admission.hpp)
};

class StreamHttp {
  public:
    // Binds at once; throws Error("config") when it cannot.
    StreamHttp(Loop& loop, Catalog& catalog, Channels& channels, HttpConfig cfg, rpc::Counters& counters);
    ~StreamHttp();
    StreamHttp(const StreamHttp&) = delete;
    StreamHttp& operator=(const StreamHttp&) = delete;

    std::uint16_t port() const { return port_; }
    const ClientConnections& connections() const { return conns_; }

  private:
    static void on_request(evhttp_request* req, void* self);
    void handle(evhttp_request* req);

    Catalog& catalog_;
    Channels& channels_;
    HttpConfig cfg_;
    rpc::Counters& counters_;
    ClientConnections conns_;  // before http_: evhttp's connections point at its records
    evhttp* http_ = nullptr;
    std::uint16_t port_ = 0;
};

}  // namespace sr::stream
