// Cuts a live MPEG-TS stream (ISO/IEC 13818-1) into HLS segments at video
// keyframes, without remuxing: a segment is the encoder's own 188-byte
// packets, from the PAT and PMT just before a keyframe to the packet before
// the next cut. Sans-IO: bytes in (in any pieces), segments out.
//
// What it reads of the stream:
// - PAT (PID 0) and the first program's PMT: the elementary streams, their
//   types and PIDs. The latest PAT and PMT packets are kept: a segment
//   whose keyframe the encoder did not precede with them (ffmpeg does)
//   starts with copies, since players need both before anything else.
// - The PES headers of the timing stream (the video, else the first audio
//   stream): its time (DTS, or PTS when there is no DTS; 90 kHz, 33 bits,
//   wrapping; called pts below) and whether the access unit is
//   a keyframe (the adaptation field's random_access_indicator, or an IDR /
//   IRAP NAL unit in the packet). The first H.264 SPS gives the codec
//   string (avc1.PPCCLL), the first ADTS header the AAC profile (mp4a.40.N).
//
// Cutting: the first segment starts at the first keyframe (what comes before
// is dropped: a player cannot start there). At each later keyframe the
// segment under way ends if it has reached the target duration. A stream
// without keyframes for three targets, or a segment over max_bytes, is cut
// at the next PES start all the same (counted: cuts_without_keyframe), so
// memory stays bounded whatever the encoder sends. A PTS that jumps (back,
// or ahead by more than kJump) or a changed PMT ends the segment and marks
// the next one as a discontinuity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::stream {

inline constexpr std::size_t kTsPacket = 188;
inline constexpr std::uint64_t kPtsMask = (std::uint64_t{1} << 33) - 1;

// How far `to` is after `from` on the 33-bit 90 kHz clock (modulo its wrap).
inline std::uint64_t pts_delta(std::uint64_t from, std::uint64_t to) { return (to - from) & kPtsMask; }

struct TsSegment {
    std::string bytes;          // whole packets
    double duration = 0;        // seconds, by the timing stream's PTS
    std::uint64_t first_pts = 0;  // 90 kHz, 33 bits
    std::int64_t wall_us = 0;   // when its first packet arrived (Unix microseconds)
    bool discontinuity = false; // the stream does not continue the previous segment
    bool keyframe = true;       // starts at a keyframe (false: cut without one)
};

struct TsCounters {
    std::uint64_t packets = 0;
    std::uint64_t resyncs = 0;         // bytes skipped to find the 0x47 sync byte again
    std::uint64_t dropped_before_keyframe = 0;  // packets before the first keyframe
    std::uint64_t cuts_without_keyframe = 0;
    std::uint64_t discontinuities = 0;
    std::uint64_t dropped_over_size = 0;  // packets of a segment at twice max_bytes with no PES start to cut at
};

class TsCutter {
  public:
    static constexpr double kJump = 10.0;  // seconds of PTS jump taken as a discontinuity

    TsCutter(double target_seconds, std::size_t max_bytes);

    // Bytes as they arrive; returns the segments they completed, in order.
    std::vector<TsSegment> feed(std::string_view bytes, std::int64_t wall_us);
    // The input stopped: the segment under way as the last one (its duration
    // runs to its last PTS plus one frame), and the next bytes start afresh
    // (their first segment is a discontinuity).
    std::optional<TsSegment> flush();

    // RFC 6381 codecs of the streams seen ("avc1.64001f,mp4a.40.2"); empty
    // until the PMT (and, for H.264 and AAC, the first SPS and ADTS header).
    std::string codecs() const;
    // Each stream's part of it, as far as known.
    const std::string& video_codecs() const { return video_codecs_; }
    const std::string& audio_codecs() const { return audio_codecs_; }
    bool has_video() const { return video_pid_ != 0; }
    const TsCounters& counters() const { return counters_; }

  private:
    struct Stream {
        std::uint16_t pid = 0;
        std::uint8_t type = 0;
    };
    void packet(const std::uint8_t* p, std::int64_t wall_us, std::vector<TsSegment>& out);
    void on_pat(const std::uint8_t* payload, std::size_t n);
    bool on_pmt(const std::uint8_t* payload, std::size_t n);  // true when the streams changed
    void sniff(const Stream& s, const std::uint8_t* es, std::size_t n);
    void start_segment(std::int64_t wall_us, std::uint64_t pts, bool keyframe);
    void end_segment(std::uint64_t next_pts, std::vector<TsSegment>& out);

    double target_;
    std::size_t max_bytes_;
    std::string partial_;  // a packet's first bytes, waiting for the rest

    std::uint16_t pmt_pid_ = 0;
    std::string pat_packet_, pmt_packet_;
    std::vector<Stream> streams_;
    std::uint16_t video_pid_ = 0, timing_pid_ = 0;
    std::string video_codecs_, audio_codecs_;

    std::optional<TsSegment> current_;
    // The PAT/PMT packets since the last other packet: when a keyframe
    // follows, they move from the end of one segment to the start of the next.
    std::string run_;
    bool run_pat_ = false, run_pmt_ = false;
    std::optional<std::uint64_t> last_pts_;
    std::uint64_t frame_ticks_ = 0;  // the last PTS step: the duration of a frame
    bool next_discontinuous_ = false;
    TsCounters counters_;
};

}  // namespace sr::stream
