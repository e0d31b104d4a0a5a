// A live channel: MPEG-TS in (UDP datagrams or an HTTP ingest, any
// pieces), a sliding window of HLS segments out. Sans-IO: the input classes
// (live_input.hpp) hand it bytes with the time, the HTTP server asks it for
// playlists and segments.
//
// The window: the last `window` segments are in the media playlist, with
// EXT-X-MEDIA-SEQUENCE (the first one's number), EXT-X-PROGRAM-DATE-TIME
// (when its first byte arrived) and EXT-X-DISCONTINUITY where the stream
// does not continue the previous segment; EXT-X-DISCONTINUITY-SEQUENCE
// counts those that have left the window (RFC 8216 6.2.2). As many again
// stay fetchable after they leave it, for players a playlist behind.
//
// A stall: no input for `stall_seconds` ends the segment under way as the
// window's last (a whole segment, timed to its last frame); the playlist then
// stays as it is, and the first segment after the input resumes carries
// EXT-X-DISCONTINUITY. Memory is bounded: at most 2 x window segments of at
// most twice max_segment_bytes each (and their fMP4 copies, once asked for).
//
// fMP4 (live_cmaf.cpp): the same segments repackaged per track on first use
// (live_fmp4.hpp), as HLS (cmaf.m3u8, an audio group and a video variant)
// and as dynamic MPEG-DASH. An epoch is the run of segments between two
// discontinuities: each has its init segments (init-EPOCH.mp4, the codecs
// may have changed) and, in DASH, its Period, which starts at the wall time
// its first segment arrived, counted from availabilityStartTime (the
// channel's first segment).
#pragma once

#include "stream/live_fmp4.hpp"
#include "stream/ts_cutter.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sr::stream {

// ISO 8601 UTC to the millisecond ("2026-12-06T20:35:05.668Z"), as
// EXT-X-PROGRAM-DATE-TIME and DASH's xs:dateTime want it.
std::string date_time(std::int64_t wall_us);

struct LiveConfig {
    double segment_seconds = 4.0;
    std::size_t window = 6;
    std::size_t max_segment_bytes = 32 << 20;
    double stall_seconds = 0;  // 0: twice the segment duration, at least 5 s
    // The first segment's number. sr-streamd starts it at the Unix time the
    // channel was made, so that a segment URL names the same bytes across a
    // restart and caches in front may keep segments for long.
    std::uint64_t first_seq = 0;
};

struct LiveSegment {
    std::uint64_t seq = 0;
    double duration = 0;
    std::int64_t wall_us = 0;
    bool discontinuity = false;
    std::shared_ptr<const std::string> bytes;  // shared with answers still being written
    std::uint64_t first_dts = 0;     // 90 kHz, 33 bits, as in the stream
    std::int64_t decode_start = 0;   // the same, unwrapped: continues the segment before within an epoch
    std::uint64_t epoch = 0;
    std::shared_ptr<const LiveFmp4> fmp4;  // packaged on first use
    std::string fmp4_error;                // or why it could not be
};

class LiveChannel {
  public:
    enum class State { waiting, live, stalled };

    LiveChannel(std::string name, LiveConfig cfg);

    void input(std::string_view bytes, std::int64_t now_us, std::int64_t wall_us);
    // Notices a stall; call at next_deadline() or later.
    void tick(std::int64_t now_us);
    // The input closed (an HTTP ingest ended): as a stall, at once.
    void input_ended();
    std::int64_t next_deadline() const;

    // Playlists; nullopt until the first segment is complete.
    std::optional<std::string> media_playlist() const;
    std::optional<std::string> multivariant_playlist() const;
    // A segment still held (in the window or just out of it), else nullptr.
    const LiveSegment* segment(std::uint64_t seq) const;

    // fMP4 (live_cmaf.cpp); they package the segments they need and throw
    // Error("bad_media") when one cannot be.
    std::shared_ptr<const LiveFmp4> fmp4(std::uint64_t seq);
    // The newest held segment of the epoch, packaged (for its init segments).
    std::shared_ptr<const LiveFmp4> fmp4_of_epoch(std::uint64_t epoch);
    std::optional<std::string> cmaf_multivariant();
    std::optional<std::string> cmaf_media(bool video);
    std::optional<std::string> dash_manifest(std::int64_t now_wall_us);

    const std::string& name() const { return name_; }
    State state() const { return state_; }
    const char* state_name() const;
    double segment_seconds() const { return cfg_.segment_seconds; }
    std::string codecs() const { return cutter_.codecs(); }
    std::int64_t bitrate_peak() const;      // bits/s of the densest segment held
    std::int64_t bitrate_average() const;   // over the segments held
    std::uint64_t bytes_in() const { return bytes_in_; }
    std::uint64_t segments_made() const { return next_seq_ - cfg_.first_seq; }
    // Wall time of the newest segment (Last-Modified of the playlists), 0 before any.
    std::int64_t updated_wall_us() const { return updated_wall_us_; }
    std::size_t held() const { return segments_.size(); }
    std::uint64_t held_bytes() const;
    std::uint64_t stalls() const { return stalls_; }
    const TsCounters& ts_counters() const { return cutter_.counters(); }

  private:
    void add(TsSegment s);
    LiveSegment& at(std::uint64_t seq) { return segments_[seq - segments_.front().seq]; }
    const LiveFmp4& packaged(LiveSegment& s);
    // The fMP4 track's RFC 6381 codec (avc1... or mp4a...), once every stream's is known.
    std::string track_codec(bool video) const;
    std::size_t window_start() const;  // index in segments_ of the playlist's first segment
    std::int64_t stall_us() const;

    std::string name_;
    LiveConfig cfg_;
    TsCutter cutter_;
    std::deque<LiveSegment> segments_;
    std::uint64_t next_seq_ = 0;
    std::uint64_t discontinuities_dropped_ = 0;  // that left the playlist
    int target_duration_ = 0;                    // never shrinks (RFC 8216 4.3.3.1)
    State state_ = State::waiting;
    std::int64_t last_input_us_ = 0;
    std::uint64_t bytes_in_ = 0;
    std::uint64_t stalls_ = 0;
    std::int64_t updated_wall_us_ = 0;
    struct Epoch {
        std::uint64_t id = 0;
        std::int64_t wall_us = 0;       // when its first segment began arriving
        std::int64_t decode_start = 0;  // that segment's decode time
    };
    std::deque<Epoch> epochs_;  // of the segments held
    std::int64_t first_wall_us_ = 0;  // the channel's first segment: DASH availabilityStartTime
};

}  // namespace sr::stream
