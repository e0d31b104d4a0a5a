// sr-streamd's HTTP ingest (--ingest-listen): an encoder pushes a live
// channel as one long request whose body is MPEG-TS,
//
//   ffmpeg -re -i in.mp4 -c copy -f mpegts
//          -headers 'Authorization: Bearer TOKEN' http://ADDR:PORT/live/NAME
//
// POST or PUT /live/NAME, chunked or with a Content-Length; the body is fed
// to the channel as it arrives (channels.hpp), and when it ends (or the
// connection drops) the channel's window ends as for a stall. The answer
// comes at the end: 200, or an error as soon as one is known (401 without
// the token, 404 for a path that is not /live/NAME, 409 for a channel fed by
// another input, 503 at the channel limit), after which the connection is
// closed.
//
// Why a listener of its own and not a route of the viewers' evhttp: evhttp
// (libevent 2.1) hands a server a request only once its whole body is in
// memory, and an ingest body never ends. This one is a small HTTP/1.1
// request reader over bufferevents with http_parser (which undoes the
// chunked encoding). Keeping it on its own address also lets an operator
// put encoders on a management network and viewers on the public one.
//
// Hostile clients: only the token (Authorization: Bearer TOKEN, or
// ?token=TOKEN for encoders that cannot set headers; compared in constant
// time) feeds a channel. Until its headers are in, a connection has
// header_timeout; connections are bounded in all and per source address.
// A feeding connection that sends nothing for idle_timeout is closed.
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "stream/channels.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>

struct evconnlistener;

namespace sr::stream {

struct IngestConfig {
    std::string listen;  // ADDR:PORT
    std::string token;
    std::size_t max_connections = 32;
    std::size_t max_per_source = 8;
    int header_timeout_s = 10;
    int idle_timeout_s = 30;
};

class IngestServer {
  public:
    // Binds at once; throws Error("config") when it cannot.
    IngestServer(Loop& loop, Channels& channels, IngestConfig cfg, rpc::Counters& counters);
    ~IngestServer();
    IngestServer(const IngestServer&) = delete;
    IngestServer& operator=(const IngestServer&) = delete;

    std::uint16_t port() const { return port_; }
    struct Conn;

  private:
    static void on_accept(evconnlistener*, int fd, struct sockaddr* sa, int len, void* self);
    void accept(int fd, const struct sockaddr* sa);
    void close(Conn* c);

    Loop& loop_;
    Channels& channels_;
    IngestConfig cfg_;
    rpc::Counters& counters_;
    evconnlistener* listener_ = nullptr;
    std::unique_ptr<rpc::AcceptGuard> accept_guard_;
    std::uint16_t port_ = 0;
    std::map<Conn*, std::unique_ptr<Conn>> conns_;
    std::map<std::string, std::size_t> per_source_;
};

}  // namespace sr::stream
