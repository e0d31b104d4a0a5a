#include "stream/channels.hpp"

#include "core/log.hpp"

namespace sr::stream {

namespace {

// How often channels are checked for a stall: a small part of the shortest
// stall time (5 s), so a stall ends the window within a second of it.
constexpr std::int64_t kTickUs = 500'000;

}  // namespace

Channels::Channels(Loop& loop, LiveConfig cfg, std::size_t max_ingested, rpc::Counters& counters)
    : cfg_(cfg), max_ingested_(max_ingested), counters_(counters), ticker_(loop, [this] { tick(); }) {}

LiveChannel& Channels::make(const std::string& name, const std::string& input, bool ingested) {
    LiveConfig c = cfg_;
    c.first_seq = static_cast<std::uint64_t>(Loop::wall_now_us() / 1'000'000);
    Entry e{std::make_unique<LiveChannel>(name, c), input, ingested, false};
    LiveChannel& ch = *e.channel;
    channels_[name] = std::move(e);
    if (!ticker_.armed()) ticker_.arm_in(kTickUs);
    return ch;
}

LiveChannel& Channels::declare(const std::string& name, const std::string& input) {
    return make(name, input, false);
}

Channels::Claim Channels::claim(const std::string& name, LiveChannel*& channel) {
    auto it = channels_.find(name);
    if (it != channels_.end()) {
        if (!it->second.ingested) return Claim::declared;
        if (it->second.busy) return Claim::busy;
        it->second.busy = true;
        channel = it->second.channel.get();
        return Claim::ok;
    }
    std::size_t ingested = 0;
    auto idlest = channels_.end();
    for (auto i = channels_.begin(); i != channels_.end(); ++i) {
        if (!i->second.ingested) continue;
        ++ingested;
        if (i->second.busy) continue;
        if (idlest == channels_.end() ||
            i->second.channel->updated_wall_us() < idlest->second.channel->updated_wall_us())
            idlest = i;
    }
    if (ingested >= max_ingested_) {
        if (idlest == channels_.end()) return Claim::full;
        log::info("live: channel ", idlest->first, " dropped (idle) to make room for ", name);
        ++counters_["stream.live_dropped"];
        channels_.erase(idlest);
    }
    channel = &make(name, "http", true);
    channels_[name].busy = true;
    return Claim::ok;
}

void Channels::release(LiveChannel& channel) {
    auto it = channels_.find(channel.name());
    if (it == channels_.end()) return;
    it->second.busy = false;
    channel.input_ended();
}

void Channels::input(LiveChannel& channel, std::string_view bytes) {
    auto made = channel.segments_made();
    channel.input(bytes, Loop::now_us(), Loop::wall_now_us());
    if (channel.segments_made() != made) counters_["stream.live_segments"] += channel.segments_made() - made;
}

LiveChannel* Channels::find(const std::string& name) {
    auto it = channels_.find(name);
    return it == channels_.end() ? nullptr : it->second.channel.get();
}

std::vector<std::string> Channels::names() const {
    std::vector<std::string> out;
    for (const auto& [name, e] : channels_) out.push_back(name);
    return out;
}

void Channels::tick() {
    auto now = Loop::now_us();
    for (auto& [name, e] : channels_) {
        auto state = e.channel->state();
        auto made = e.channel->segments_made();
        e.channel->tick(now);
        if (e.channel->segments_made() != made) counters_["stream.live_segments"] += e.channel->segments_made() - made;
        if (state == LiveChannel::State::live && e.channel->state() == LiveChannel::State::stalled) {
            ++counters_["stream.live_stalls"];
            log::info("live: channel ", name, " stalled (no input); its window ends with the last segment");
        }
    }
    ticker_.arm_in(kTickUs);
}

Value Channels::describe() const {
    Value out = Value::array();
    for (const auto& [name, e] : channels_) {
        const LiveChannel& c = *e.channel;
        const TsCounters& ts = c.ts_counters();
        out.push_back(Value{{"name", name},
                            {"input", e.input},
                            {"state", c.state_name()},
                            {"feeding", e.busy || !e.ingested},
                            {"codecs", c.codecs()},
                            {"segments", c.segments_made()},
                            {"held", c.held()},
                            {"held_bytes", c.held_bytes()},
                            {"bitrate", c.bitrate_average()},
                            {"bytes_in", c.bytes_in()},
                            {"stalls", c.stalls()},
                            {"discontinuities", ts.discontinuities},
                            {"resyncs", ts.resyncs},
                            {"cuts_without_keyframe", ts.cuts_without_keyframe}});
    }
    return out;
}

}  // namespace sr::stream
