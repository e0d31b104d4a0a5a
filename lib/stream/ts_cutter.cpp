#include "stream/ts_cutter.hpp"

#include <cstdio>

namespace sr::stream {

namespace {

constexpr std::uint16_t kNullPid = 0x1fff;

bool is_video_type(std::uint8_t t) { return t == 0x1b || t == 0x24 || t == 0x01 || t == 0x02; }
bool is_audio_type(std::uint8_t t) {
    return t == 0x0f || t == 0x11 || t == 0x03 || t == 0x04 || t == 0x81 || t == 0x87;
}

// A PSI section's bytes after the pointer field, bounded by the payload; nullptr when malformed.
const std::uint8_t* section(const std::uint8_t* payload, std::size_t n, std::uint8_t table_id, std::size_t& len) {
    if (n < 1) return nullptr;
    std::size_t at = 1 + payload[0];
    if (at + 3 > n || payload[at] != table_id) return nullptr;
    const std::uint8_t* t = payload + at;
    len = ((t[1] & 0x0fu) << 8) | t[2];
    if (len < 9 || at + 3 + len > n) return nullptr;  // the section must fit this packet
    return t;
}

// Whether an elementary stream's bytes hold the start of a keyframe: an
// H.264 IDR or SPS, an HEVC IRAP or parameter set.
bool starts_keyframe(std::uint8_t type, const std::uint8_t* es, std::size_t n) {
    for (std::size_t i = 0; i + 3 < n; ++i) {
        if (es[i] != 0 || es[i + 1] != 0 || es[i + 2] != 1) continue;
        std::uint8_t h = es[i + 3];
        if (type == 0x1b) {
            int nal = h & 0x1f;
            if (nal == 5 || nal == 7) return true;
        } else if (type == 0x24) {
            int nal = (h >> 1) & 0x3f;
            if ((nal >= 16 && nal <= 21) || (nal >= 32 && nal <= 34)) return true;
        }
    }
    return false;
}

}  // namespace

TsCutter::TsCutter(double target_seconds, std::size_t max_bytes) : target_(target_seconds), max_bytes_(max_bytes) {}

std::vector<TsSegment> TsCutter::feed(std::string_view bytes, std::int64_t wall_us) {
    std::vector<TsSegment> out;
    partial_.append(bytes);
    std::size_t i = 0;
    const auto* b = reinterpret_cast<const std::uint8_t*>(partial_.data());
    while (partial_.size() - i >= kTsPacket) {
        // In sync: a 0x47 here, and another one packet on when there is one.
        if (b[i] != 0x47 || (i + kTsPacket < partial_.size() && b[i + kTsPacket] != 0x47)) {
            ++i;
            ++counters_.resyncs;
            continue;
        }
        packet(b + i, wall_us, out);
        i += kTsPacket;
    }
    partial_.erase(0, i);
    return out;
}

namespace {

// A PES header's 33-bit time stamp (5 bytes, marker bits between the parts).
std::uint64_t timestamp(const std::uint8_t* t) {
    return (std::uint64_t{t[0] & 0x0eu} << 29) | (std::uint64_t{t[1]} << 22) | (std::uint64_t{t[2] & 0xfeu} << 14) |
           (std::uint64_t{t[3]} << 7) | (t[4] >> 1);
}

}  // namespace

void TsCutter::packet(const std::uint8_t* p, std::int64_t wall_us, std::vector<TsSegment>& out) {
    ++counters_.packets;
    if (p[1] & 0x80) return;  // transport_error_indicator: the sender knows it is broken
    std::uint16_t pid = static_cast<std::uint16_t>(((p[1] & 0x1fu) << 8) | p[2]);
    if (pid == kNullPid) return;
    bool unit_start = p[1] & 0x40;
    int afc = (p[3] >> 4) & 3;
    std::size_t offset = 4;
    bool random_access = false;
    if (afc & 2) {
        std::size_t af_len = p[4];
        random_access = af_len > 0 && (p[5] & 0x40);
        offset = 5 + af_len;
    }
    const std::uint8_t* payload = (afc & 1) && offset < kTsPacket ? p + offset : nullptr;
    std::size_t payload_n = payload ? kTsPacket - offset : 0;

    bool header = pid == 0 || (pmt_pid_ != 0 && pid == pmt_pid_);
    if (pid == 0) {
        if (unit_start && payload) on_pat(payload, payload_n);
        pat_packet_.assign(reinterpret_cast<const char*>(p), kTsPacket);
    } else if (header) {
        if (unit_start && payload && on_pmt(payload, payload_n)) {
            // Other streams: what follows does not continue what came before.
            if (current_) end_segment(last_pts_.value_or(current_->first_pts) + frame_ticks_, out);
            if (counters_.packets > 1) next_discontinuous_ = true;
            last_pts_.reset();
        }
        pmt_packet_.assign(reinterpret_cast<const char*>(p), kTsPacket);
    }
    if (header) {
        if (run_.empty()) run_pat_ = run_pmt_ = false;
        run_.append(reinterpret_cast<const char*>(p), kTsPacket);
        (pid == 0 ? run_pat_ : run_pmt_) = true;
        if (current_) current_->bytes.append(reinterpret_cast<const char*>(p), kTsPacket);
        return;
    }

    const Stream* stream = nullptr;
    for (const auto& s : streams_)
        if (s.pid == pid) stream = &s;
    if (stream && unit_start && payload && payload_n >= 9 && payload[0] == 0 && payload[1] == 0 && payload[2] == 1) {
        std::size_t es_at = 9 + static_cast<std::size_t>(payload[8]);
        const std::uint8_t* es = es_at < payload_n ? payload + es_at : nullptr;
        std::size_t es_n = es ? payload_n - es_at : 0;
        if (es) sniff(*stream, es, es_n);
        if (pid == timing_pid_ && (payload[7] & 0x80) && payload_n >= 14) {
            // The decode time: with B-frames, presentation times go back
            // and forth while decode times only go forward. DTS when the
            // header has one (PTS_DTS_flags 11), else PTS, which then equals it.
            bool has_dts = (payload[7] & 0xc0) == 0xc0 && payload_n >= 19;
            std::uint64_t pts = timestamp(payload + (has_dts ? 14 : 9));
            bool key = pid != video_pid_ || random_access || (es && starts_keyframe(stream->type, es, es_n));
            if (last_pts_) {
                std::uint64_t step = pts_delta(*last_pts_, pts);
                bool backwards = step > (kPtsMask >> 1);
                if (backwards || step > static_cast<std::uint64_t>(kJump * 90000)) {
                    ++counters_.discontinuities;
                    if (current_) end_segment(*last_pts_ + frame_ticks_, out);
                    next_discontinuous_ = true;
                } else if (step > 0 && step < 90000) {
                    frame_ticks_ = step;
                }
            }
            last_pts_ = pts;
            if (current_) {
                double length = pts_delta(current_->first_pts, pts) / 90000.0;
                if (key && length >= target_) {
                    end_segment(pts, out);
                } else if (!key && (length >= 3 * target_ || current_->bytes.size() >= max_bytes_)) {
                    ++counters_.cuts_without_keyframe;
                    end_segment(pts, out);
                    start_segment(wall_us, pts, false);
                }
            }
            if (!current_ && key) start_segment(wall_us, pts, true);
        }
    }
    run_.clear();
    if (!current_) {
        ++counters_.dropped_before_keyframe;
        return;
    }
    if (current_->bytes.size() >= 2 * max_bytes_) {
        // Not even a PES start to cut at: drop rather than grow without bound.
        ++counters_.dropped_over_size;
        return;
    }
    current_->bytes.append(reinterpret_cast<const char*>(p), kTsPacket);
}

void TsCutter::on_pat(const std::uint8_t* payload, std::size_t n) {
    std::size_t len = 0;
    const std::uint8_t* t = section(payload, n, 0x00, len);
    if (!t) return;
    // Programs from byte 8 to the CRC.
    for (std::size_t i = 8; i + 4 <= 3 + len - 4; i += 4) {
        std::uint16_t program = static_cast<std::uint16_t>((t[i] << 8) | t[i + 1]);
        if (program == 0) continue;  // the network PID
        pmt_pid_ = static_cast<std::uint16_t>(((t[i + 2] & 0x1fu) << 8) | t[i + 3]);
        return;
    }
}

bool TsCutter::on_pmt(const std::uint8_t* payload, std::size_t n) {
    std::size_t len = 0;
    const std::uint8_t* t = section(payload, n, 0x02, len);
    if (!t || len < 13) return false;
    std::size_t info = ((t[10] & 0x0fu) << 8) | t[11];
    std::size_t end = 3 + len - 4;  // before the CRC
    std::vector<Stream> streams;
    for (std::size_t i = 12 + info; i + 5 <= end;) {
        Stream s{static_cast<std::uint16_t>(((t[i + 1] & 0x1fu) << 8) | t[i + 2]), t[i]};
        if (is_video_type(s.type) || is_audio_type(s.type)) streams.push_back(s);
        i += 5 + (((t[i + 3] & 0x0fu) << 8) | t[i + 4]);
    }
    bool same = streams.size() == streams_.size();
    for (std::size_t i = 0; same && i < streams.size(); ++i)
        same = streams[i].pid == streams_[i].pid && streams[i].type == streams_[i].type;
    if (same) return false;
    bool had = !streams_.empty();
    streams_ = std::move(streams);
    video_pid_ = timing_pid_ = 0;
    video_codecs_.clear();
    audio_codecs_.clear();
    for (const auto& s : streams_)
        if (is_video_type(s.type) && !video_pid_) video_pid_ = s.pid;
    timing_pid_ = video_pid_;
    for (const auto& s : streams_)
        if (!timing_pid_ && is_audio_type(s.type)) timing_pid_ = s.pid;
    return had;
}

void TsCutter::sniff(const Stream& s, const std::uint8_t* es, std::size_t n) {
    char buf[32];
    if (s.pid == video_pid_ && video_codecs_.empty()) {
        if (s.type == 0x24) video_codecs_ = "hvc1";
        else if (s.type != 0x1b) video_codecs_ = "mp4v.61";  // MPEG-2 video
        for (std::size_t i = 0; s.type == 0x1b && i + 6 < n; ++i)
            if (es[i] == 0 && es[i + 1] == 0 && es[i + 2] == 1 && (es[i + 3] & 0x1f) == 7) {
                std::snprintf(buf, sizeof buf, "avc1.%02x%02x%02x", es[i + 4], es[i + 5], es[i + 6]);
                video_codecs_ = buf;
                break;
            }
    } else if (s.pid != video_pid_ && audio_codecs_.empty()) {
        if ((s.type == 0x0f) && n >= 3 && es[0] == 0xff && (es[1] & 0xf0) == 0xf0) {
            std::snprintf(buf, sizeof buf, "mp4a.40.%d", (es[2] >> 6) + 1);
            audio_codecs_ = buf;
        } else if (s.type == 0x03 || s.type == 0x04) {
            audio_codecs_ = "mp4a.40.34";
        } else if (s.type == 0x81) {
            audio_codecs_ = "ac-3";
        } else if (s.type == 0x87) {
            audio_codecs_ = "ec-3";
        }
    }
}

void TsCutter::start_segment(std::int64_t wall_us, std::uint64_t pts, bool keyframe) {
    current_.emplace();
    current_->first_pts = pts;
    current_->wall_us = wall_us;
    current_->keyframe = keyframe;
    current_->discontinuity = next_discontinuous_;
    next_discontinuous_ = false;
    // Players need the PAT and the PMT first: those the encoder sent just
    // before this keyframe, else copies of the last ones.
    if (run_pat_ && run_pmt_ && !run_.empty()) current_->bytes = run_;
    else current_->bytes = pat_packet_ + pmt_packet_;
}

void TsCutter::end_segment(std::uint64_t next_pts, std::vector<TsSegment>& out) {
    TsSegment s = std::move(*current_);
    current_.reset();
    // The PAT/PMT run just before the cut belongs to the next segment.
    if (run_pat_ && run_pmt_ && s.bytes.size() >= run_.size()) s.bytes.resize(s.bytes.size() - run_.size());
    s.duration = pts_delta(s.first_pts, next_pts) / 90000.0;
    out.push_back(std::move(s));
}

std::optional<TsSegment> TsCutter::flush() {
    std::vector<TsSegment> out;
    if (current_) end_segment(last_pts_.value_or(current_->first_pts) + frame_ticks_, out);
    partial_.clear();
    run_.clear();
    last_pts_.reset();
    next_discontinuous_ = true;
    if (out.empty()) return std::nullopt;
    return std::move(out.front());
}

std::string TsCutter::codecs() const {
    if (!has_video()) return audio_codecs_;
    bool audio = false;
    for (const auto& s : streams_) audio = audio || is_audio_type(s.type);
    if (video_codecs_.empty() || (audio && audio_codecs_.empty())) return "";  // not all known yet
    return audio ? video_codecs_ + "," + audio_codecs_ : video_codecs_;
}

}  // namespace sr::stream
