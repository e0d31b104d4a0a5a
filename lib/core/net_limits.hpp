// What per-source connection limits count by, and the descriptor budget they
// must fit in: shared by the overlay transport (sr-dhtd) and the HTTP
// admission of sr-cached and sr-streamd, so all count a client the same way;
// and the TCP options of their listeners and answers.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <string>

struct evbuffer;

namespace sr::net {

// The IPv4 address, or the /64 of an IPv6 address (one host commonly holds a
// whole /64 to pick addresses from); an IPv4-mapped address counts as IPv4.
// "local" for anything else (a Unix socket).
std::string limit_source(const sockaddr* sa);

// Raises the soft RLIMIT_NOFILE to the hard one (connections are
// descriptors; a flood that meets the soft limit ends in EMFILE for everyone)
// and returns the soft limit now in force, 1<<20 when unlimited.
std::size_t raise_fd_limit();

// The soft RLIMIT_NOFILE, 1<<20 when unlimited or unknown.
std::size_t fd_limit();

// TCP_NODELAY on a listening socket, which the connections it accepts
// inherit (Linux): an HTTP answer's last partial packet then goes out at
// once instead of waiting for the ACK of the previous one, which a client
// delays by up to 40 ms (Nagle against delayed ACK, on every keep-alive
// request whose body is not a whole number of packets).
void no_delay(int fd);

// TCP_CORK on a connection until `out` (its bufferevent's output) has been
// written out: an answer's header and a large body sent by sendfile then
// leave in full segments, not the header alone first (TCP_NODELAY); the
// kernel sends the tail as soon as the cork comes off.
void cork_until_drained(int fd, evbuffer* out);

}  // namespace sr::net
