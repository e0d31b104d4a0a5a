#include "stream/live.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace sr::stream {

std::string date_time(std::int64_t wall_us) {
    std::time_t t = static_cast<std::time_t>(wall_us / 1'000'000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(wall_us / 1000 % 1000));
    return buf;
}

LiveChannel::LiveChannel(std::string name, LiveConfig cfg)
    : name_(std::move(name)), cfg_(cfg), cutter_(cfg.segment_seconds, cfg.max_segment_bytes) {
    cfg_.window = std::max<std::size_t>(cfg_.window, 1);
    next_seq_ = cfg_.first_seq;
}

const char* LiveChannel::state_name() const {
    switch (state_) {
    case State::waiting: return "waiting";
    case State::live: return "live";
    case State::stalled: return "stalled";
    }
    return "?";
}

std::int64_t LiveChannel::stall_us() const {
    double s = cfg_.stall_seconds > 0 ? cfg_.stall_seconds : std::max(2 * cfg_.segment_seconds, 5.0);
    return static_cast<std::int64_t>(s * 1e6);
}

void LiveChannel::input(std::string_view bytes, std::int64_t now_us, std::int64_t wall_us) {
    if (bytes.empty()) return;
    bytes_in_ += bytes.size();
    last_input_us_ = now_us;
    state_ = State::live;
    for (auto& s : cutter_.feed(bytes, wall_us)) add(std::move(s));
}

void LiveChannel::tick(std::int64_t now_us) {
    if (state_ != State::live || now_us - last_input_us_ < stall_us()) return;
    input_ended();
}

void LiveChannel::input_ended() {
    if (state_ != State::live) return;
    state_ = State::stalled;
    ++stalls_;
    if (auto last = cutter_.flush()) add(std::move(*last));
}

std::int64_t LiveChannel::next_deadline() const {
    return state_ == State::live ? last_input_us_ + stall_us() : INT64_MAX;
}

void LiveChannel::add(TsSegment s) {
    LiveSegment seg;
    seg.seq = next_seq_++;
    seg.duration = s.duration;
    seg.wall_us = s.wall_us;
    seg.discontinuity = s.discontinuity && !segments_.empty();
    seg.first_dts = s.first_pts;
    bool first = segments_.empty();  // the channel's first segment (the window never empties after it)
    if (first) first_wall_us_ = s.wall_us;
    if (first || seg.discontinuity) {
        // A new timeline (or the first): its own epoch.
        seg.epoch = first ? 0 : segments_.back().epoch + 1;
        seg.decode_start = static_cast<std::int64_t>(s.first_pts);
        epochs_.push_back({seg.epoch, s.wall_us, seg.decode_start});
    } else {
        const LiveSegment& prev = segments_.back();
        seg.epoch = prev.epoch;
        seg.decode_start = prev.decode_start + static_cast<std::int64_t>(pts_delta(prev.first_dts, s.first_pts));
    }
    seg.bytes = std::make_shared<const std::string>(std::move(s.bytes));
    updated_wall_us_ = s.wall_us + static_cast<std::int64_t>(s.duration * 1e6);
    target_duration_ = std::max(target_duration_, static_cast<int>(std::lround(std::ceil(seg.duration))));
    segments_.push_back(std::move(seg));
    // The segment that has just left the playlist, if one has.
    if (segments_.size() > cfg_.window) {
        const LiveSegment& left = segments_[segments_.size() - cfg_.window - 1];
        discontinuities_dropped_ += left.discontinuity;
    }
    while (segments_.size() > 2 * cfg_.window) segments_.pop_front();
    while (epochs_.size() > 1 && epochs_[1].id <= segments_.front().epoch) epochs_.pop_front();
}

std::size_t LiveChannel::window_start() const {
    return segments_.size() > cfg_.window ? segments_.size() - cfg_.window : 0;
}

std::optional<std::string> LiveChannel::media_playlist() const {
    if (segments_.empty()) return std::nullopt;
    std::size_t first = window_start();
    std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n";
    out += "#EXT-X-TARGETDURATION:" + std::to_string(std::max(target_duration_, 1)) + "\n";
    out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(segments_[first].seq) + "\n";
    out += "#EXT-X-DISCONTINUITY-SEQUENCE:" + std::to_string(discontinuities_dropped_) + "\n";
    char extinf[64];
    for (std::size_t i = first; i < segments_.size(); ++i) {
        const LiveSegment& s = segments_[i];
        if (s.discontinuity) out += "#EXT-X-DISCONTINUITY\n";
        out += "#EXT-X-PROGRAM-DATE-TIME:" + date_time(s.wall_us) + "\n";
        std::snprintf(extinf, sizeof extinf, "#EXTINF:%.3f,\n", s.duration);
        out += extinf;
        out += std::to_string(s.seq) + ".ts\n";
    }
    return out;
}

std::optional<std::string> LiveChannel::multivariant_playlist() const {
    if (segments_.empty()) return std::nullopt;
    std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n";
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(std::max<std::int64_t>(bitrate_peak(), 1)) +
           ",AVERAGE-BANDWIDTH=" + std::to_string(std::max<std::int64_t>(bitrate_average(), 1));
    std::string codecs = cutter_.codecs();
    if (!codecs.empty()) out += ",CODECS=\"" + codecs + "\"";
    out += "\nts.m3u8\n";
    return out;
}

const LiveSegment* LiveChannel::segment(std::uint64_t seq) const {
    if (segments_.empty() || seq < segments_.front().seq || seq > segments_.back().seq) return nullptr;
    return &segments_[seq - segments_.front().seq];
}

std::int64_t LiveChannel::bitrate_peak() const {
    double peak = 0;
    for (const auto& s : segments_)
        if (s.duration > 0.1) peak = std::max(peak, s.bytes->size() * 8 / s.duration);
    return static_cast<std::int64_t>(peak);
}

std::int64_t LiveChannel::bitrate_average() const {
    double bytes = 0, seconds = 0;
    for (const auto& s : segments_) {
        bytes += static_cast<double>(s.bytes->size());
        seconds += s.duration;
    }
    return seconds > 0 ? static_cast<std::int64_t>(bytes * 8 / seconds) : 0;
}

std::uint64_t LiveChannel::held_bytes() const {
    std::uint64_t n = 0;
    for (const auto& s : segments_) n += s.bytes->size();
    return n;
}

}  // namespace sr::stream
