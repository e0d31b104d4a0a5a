// sr-streamd's live channels: each a LiveChannel (live.hpp) with where its
// input comes from, and the loop's side of them (the clock, the stall timer).
//
// A channel is either declared on the command line (--live NAME=udp://...,
// there from the start, fed by a UdpInput) or made by the first HTTP ingest
// of its name (ingest.hpp). Ingested channels count against max_ingested;
// when a new name meets the limit, the unfed channel idle longest is dropped
// to make room, and when every one is being fed the new one is refused. One input
// feeds a channel at a time: a second ingest of a channel being fed is
// refused (an encoder started twice must not interleave two streams).
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "core/value.hpp"
#include "stream/live.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sr::stream {

class Channels {
  public:
    Channels(Loop& loop, LiveConfig cfg, std::size_t max_ingested, rpc::Counters& counters);

    // A channel fed by a UDP input; `input` describes it (its URL).
    LiveChannel& declare(const std::string& name, const std::string& input);

    enum class Claim { ok, declared, busy, full };
    // Takes the channel `name` for an ingest, making it if needed. Call
    // release() when the ingest ends.
    Claim claim(const std::string& name, LiveChannel*& channel);
    void release(LiveChannel& channel);

    // Bytes that arrived now for the channel.
    void input(LiveChannel& channel, std::string_view bytes);

    LiveChannel* find(const std::string& name);
    std::vector<std::string> names() const;
    bool empty() const { return channels_.empty(); }
    std::size_t size() const { return channels_.size(); }
    // Each channel's state, input and counters (stream.live).
    Value describe() const;

    // UDP datagrams dropped as not from the sender followed (udp_input.hpp).
    std::uint64_t foreign_datagrams = 0;

  private:
    struct Entry {
        std::unique_ptr<LiveChannel> channel;
        std::string input;  // "udp://..." or "http"
        bool ingested = false;
        bool busy = false;  // an ingest is feeding it
    };
    LiveChannel& make(const std::string& name, const std::string& input, bool ingested);
    void tick();

    LiveConfig cfg_;
    std::size_t max_ingested_;
    rpc::Counters& counters_;
    std::map<std::string, Entry> channels_;
    Timer ticker_;
};

}  // namespace sr::stream
