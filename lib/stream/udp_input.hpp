// A live channel's MPEG-TS over UDP, as encoders and IPTV headends send it
// (ffmpeg -f mpegts udp://..., usually 7 packets a datagram).
//
//   udp://ADDR:PORT[?iface=IFADDR][&source=SRCADDR]
//
// ADDR is the address to bind: a local unicast address, or a multicast group
// (IPv4 or IPv6), which is joined (on the interface with address IFADDR, by
// default the one the kernel picks). "udp://@ADDR:PORT", as VLC writes it,
// is the same.
//
// Who may feed it: anyone who can reach the port can send a datagram, and
// two senders interleaved would corrupt every segment. With source=, only
// that address is read (a multicast group is then joined source-specific,
// RFC 4607, so the network does not even deliver the others). Without it the
// first sender is followed until the channel stalls; datagrams from others
// meanwhile are dropped and counted (foreign), so a stray sender can neither
// corrupt the channel nor take it over while the real one is live.
#pragma once

#include "core/loop.hpp"
#include "stream/channels.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

struct event;

namespace sr::stream {

struct UdpUrl {
    std::string host;    // numeric, without brackets
    std::uint16_t port = 0;
    std::string iface;   // numeric address of the interface to join on, or empty
    std::string source;  // the only sender read, or empty
};

// Throws Error("config") naming what is wrong.
UdpUrl parse_udp_url(const std::string& url);

class UdpInput {
  public:
    // Binds (and joins) at once; throws Error("config") when it cannot.
    UdpInput(Loop& loop, Channels& channels, LiveChannel& channel, const std::string& url);
    ~UdpInput();
    UdpInput(const UdpInput&) = delete;
    UdpInput& operator=(const UdpInput&) = delete;

  private:
    static void on_readable(int fd, short, void* self);
    void read_all();
    bool accept_sender(const sockaddr_storage& from);

    Channels& channels_;
    LiveChannel& channel_;
    std::string url_;
    int fd_ = -1;
    event* ev_ = nullptr;
    std::optional<sockaddr_storage> pinned_;  // source=
    std::optional<sockaddr_storage> current_; // the sender followed
};

}  // namespace sr::stream
