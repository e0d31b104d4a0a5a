// What per-source connection limits count by, and the descriptor budget they
// must fit in: shared by the overlay transport (sr-dhtd) and the HTTP
// admission of sr-cached, so both count a client the same way.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <string>

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

}  // namespace sr::net
