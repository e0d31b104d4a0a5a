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

}  // namespace sr::net
