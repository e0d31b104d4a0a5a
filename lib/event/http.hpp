// sr-eventd's HTTP face for browsers and web applications (--http-listen).
//
//   GET /events/TOPIC      a Server-Sent Events stream of the topic: each
//                          message an event "message" whose id is its
//                          sequence number and whose data is the payload
//                          (one data: line per line of it); a retained
//                          message an event "retained" without an id; a
//                          gap an event "gap" with id TO and data
//                          {"from","to","reason"}. A reconnecting
//                          EventSource sends Last-Event-ID: the stream
//                          replays from the next number out of the root's
//                          buffer (?since=N does the same for clients that
//                          cannot set headers). A comment line every
//                          keepalive seconds keeps proxies from timing the
//                          stream out and finds dead clients.
//   POST /events/TOPIC     publishes the body (?retain=1 keeps it as the
//                          topic's current state); 200 {"topic","seq"} once
//                          the root has numbered it. With a token file,
//                          only "Authorization: Bearer TOKEN" may publish.
//   OPTIONS                CORS preflight, for the origins configured.
//
// A stream is an EventService subscriber like a control connection, with the
// same bounded queue (the connection's output buffer) and gap reporting; a
// topic's name is the rest of the path after /events/, percent-decoded, so
// names with '/' work. Streams are bounded in all and per source address (an
// IPv6 client by its /64). evhttp serves the connections; it closes idle
// ones and refuses bodies over max-payload (413) before we see them.
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "event/service.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct evhttp;
struct evhttp_request;
struct evhttp_connection;

namespace sr::event {

struct HttpConfig {
    std::string listen;                     // ADDR:PORT or [V6ADDR]:PORT
    std::string token;                      // empty: anyone who reaches the listener may publish
    std::vector<std::string> cors_origins;  // Origin values allowed, or "*"; empty: no CORS headers
    std::size_t max_streams = 1024;
    std::size_t max_streams_per_source = 64;
    std::size_t max_payload = 65536;
    std::size_t queue_bytes = 4 << 20;
    std::int64_t keepalive_us = 15'000'000;
    int timeout_s = 60;                     // reading a request, writing a reply
};

class EventHttp {
  public:
    // Binds at once. Throws Error("config") when it cannot.
    EventHttp(Loop& loop, EventService& service, HttpConfig cfg, rpc::Counters& counters);
    ~EventHttp();
    EventHttp(const EventHttp&) = delete;
    EventHttp& operator=(const EventHttp&) = delete;

    std::uint16_t port() const { return port_; }
    std::size_t streams() const { return streams_; }

  private:
    class Stream;
    struct Connection {  // a connection holding a stream or a publish still unanswered
        std::shared_ptr<Stream> stream;
        std::shared_ptr<bool> post_alive;  // set to false when evhttp frees the request
    };

    static void on_request(evhttp_request* req, void* self);
    static void on_close(evhttp_connection* conn, void* self);
    void handle(evhttp_request* req);
    void get(evhttp_request* req, const std::string& topic);
    void post(evhttp_request* req, const std::string& topic);
    void preflight(evhttp_request* req);
    void add_cors(evhttp_request* req);
    void error(evhttp_request* req, int status, const std::string& code, const std::string& message);
    void keepalive();

    Loop& loop_;
    EventService& service_;
    HttpConfig cfg_;
    rpc::Counters& counters_;
    evhttp* http_ = nullptr;
    std::uint16_t port_ = 0;
    std::map<evhttp_connection*, Connection> connections_;
    std::size_t streams_ = 0;
    std::map<std::string, std::size_t> per_source_;  // streams by limit source
    Timer keepalive_timer_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sr::event
