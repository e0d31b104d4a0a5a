// LiveChannel's fMP4 side: live HLS over fMP4 and dynamic MPEG-DASH, from
// the held segments repackaged per track (live.hpp says how epochs, init
// segments and Periods relate).
#include "core/error.hpp"
#include "stream/live.hpp"
#include "stream/playlist.hpp"

extern "C" {
#include <libavutil/mathematics.h>
}

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sr::stream {

namespace {

const std::optional<LiveFragment>& track_of(const LiveFmp4& f, bool video) { return video ? f.video : f.audio; }

std::string seconds3(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
}

}  // namespace

const LiveFmp4& LiveChannel::packaged(LiveSegment& s) {
    if (!s.fmp4_error.empty()) throw Error("bad_media", s.fmp4_error);
    if (!s.fmp4) {
        try {
            s.fmp4 = std::make_shared<const LiveFmp4>(
                package_live_fmp4(*s.bytes, s.first_dts, s.decode_start, "live channel " + name_));
        } catch (const Error& e) {
            s.fmp4_error = e.what();  // once: not again for every request
            throw;
        }
    }
    return *s.fmp4;
}

std::string LiveChannel::track_codec(bool video) const {
    if (cutter_.codecs().empty()) return "";  // not all known yet
    const std::string& c = video ? cutter_.video_codecs() : cutter_.audio_codecs();
    return c.rfind(video ? "avc1" : "mp4a", 0) == 0 ? c : "";
}

std::shared_ptr<const LiveFmp4> LiveChannel::fmp4(std::uint64_t seq) {
    if (!segment(seq)) return nullptr;
    LiveSegment& s = at(seq);
    packaged(s);
    return s.fmp4;
}

std::shared_ptr<const LiveFmp4> LiveChannel::fmp4_of_epoch(std::uint64_t epoch) {
    for (auto it = segments_.rbegin(); it != segments_.rend(); ++it)
        if (it->epoch == epoch) {
            packaged(*it);
            return it->fmp4;
        }
    return nullptr;
}

std::optional<std::string> LiveChannel::cmaf_multivariant() {
    if (segments_.empty()) return std::nullopt;
    const LiveFmp4& newest = packaged(segments_.back());
    std::string video_codec = track_codec(true), audio_codec = track_codec(false);
    std::string out = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n";
    std::string bandwidth = "BANDWIDTH=" + std::to_string(std::max<std::int64_t>(bitrate_peak(), 1)) +
                            ",AVERAGE-BANDWIDTH=" + std::to_string(std::max<std::int64_t>(bitrate_average(), 1));
    if (newest.audio)
        out += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"" +
               std::to_string(newest.audio->channels) + "\",URI=\"audio/cmaf.m3u8\"\n";
    if (newest.video) {
        std::string list = video_codec + (newest.audio && !audio_codec.empty() ? "," + audio_codec : "");
        out += "#EXT-X-STREAM-INF:" + bandwidth + ",RESOLUTION=" + std::to_string(newest.video->width) + "x" +
               std::to_string(newest.video->height) + (list.empty() ? "" : ",CODECS=\"" + list + "\"") +
               (newest.audio ? ",AUDIO=\"audio\"" : "") + "\nvideo/cmaf.m3u8\n";
    } else if (newest.audio) {
        out += "#EXT-X-STREAM-INF:" + bandwidth + (audio_codec.empty() ? "" : ",CODECS=\"" + audio_codec + "\"") +
               "\naudio/cmaf.m3u8\n";
    }
    return out;
}

std::optional<std::string> LiveChannel::cmaf_media(bool video) {
    if (segments_.empty()) return std::nullopt;
    std::size_t first = window_start();
    std::string body;
    int target = std::max(target_duration_, 1);
    for (std::size_t i = first; i < segments_.size(); ++i) {
        LiveSegment& s = segments_[i];
        const auto& frag = track_of(packaged(s), video);
        double duration = frag ? static_cast<double>(frag->duration) / static_cast<double>(frag->timescale) : s.duration;
        target = std::max(target, static_cast<int>(std::lround(duration)));
        if (s.discontinuity) body += "#EXT-X-DISCONTINUITY\n";
        if (i == first || s.discontinuity) body += "#EXT-X-MAP:URI=\"init-" + std::to_string(s.epoch) + ".mp4\"\n";
        body += "#EXT-X-PROGRAM-DATE-TIME:" + date_time(s.wall_us) + "\n#EXTINF:" + seconds3(duration) + ",\n" +
                std::to_string(s.seq) + ".m4s\n";
    }
    return "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-TARGETDURATION:" + std::to_string(target) +
           "\n#EXT-X-MEDIA-SEQUENCE:" + std::to_string(segments_[first].seq) + "\n#EXT-X-DISCONTINUITY-SEQUENCE:" +
           std::to_string(discontinuities_dropped_) + "\n" + body;
}

std::optional<std::string> LiveChannel::dash_manifest(std::int64_t now_wall_us) {
    if (segments_.empty()) return std::nullopt;
    std::size_t first = window_start();
    double window = 0;
    for (std::size_t i = first; i < segments_.size(); ++i) {
        packaged(segments_[i]);
        window += segments_[i].duration;
    }
    double seg = cfg_.segment_seconds;
    std::string out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" "
        "type=\"dynamic\" availabilityStartTime=\"" + date_time(first_wall_us_) + "\" publishTime=\"" +
        date_time(now_wall_us) + "\" minimumUpdatePeriod=\"" + iso_duration(seg / 2) + "\" minBufferTime=\"" +
        iso_duration(seg) + "\" timeShiftBufferDepth=\"" + iso_duration(window) + "\" suggestedPresentationDelay=\"" +
        iso_duration(3 * seg) + "\" maxSegmentDuration=\"" + iso_duration(std::max(target_duration_, 1)) + "\">\n";
    // One Period per epoch in the window, from its first segment held.
    for (std::size_t i = first; i < segments_.size();) {
        std::size_t end = i;
        while (end < segments_.size() && segments_[end].epoch == segments_[i].epoch) ++end;
        const Epoch* ep = nullptr;
        for (const auto& e : epochs_)
            if (e.id == segments_[i].epoch) ep = &e;
        std::int64_t ep_wall = ep ? ep->wall_us : segments_[i].wall_us;
        std::int64_t ep_decode = ep ? ep->decode_start : segments_[i].decode_start;
        out += "  <Period id=\"" + std::to_string(segments_[i].epoch) + "\" start=\"" +
               iso_duration(static_cast<double>(ep_wall - first_wall_us_) / 1e6) + "\">\n";
        int set_id = 0;
        for (bool video : {true, false}) {
            const LiveFragment* model = nullptr;  // the run's newest fragment of the track
            std::uint64_t bytes = 0;
            double seconds = 0;
            for (std::size_t k = i; k < end; ++k)
                if (const auto& f = track_of(*segments_[k].fmp4, video)) {
                    model = &*f;
                    bytes += f->media.size();
                    seconds += static_cast<double>(f->duration) / static_cast<double>(f->timescale);
                }
            if (!model) continue;
            std::int64_t scale = model->timescale;
            std::string timeline;
            for (std::size_t k = i; k < end; ++k) {
                const auto& f = track_of(*segments_[k].fmp4, video);
                std::int64_t t = f ? f->earliest : av_rescale(segments_[k].decode_start, scale, 90000);
                std::int64_t d = f ? f->duration : std::llround(segments_[k].duration * static_cast<double>(scale));
                if (k + 1 < end)
                    if (const auto& next = track_of(*segments_[k + 1].fmp4, video)) d = next->earliest - t;
                timeline += "            <S t=\"" + std::to_string(t) + "\" d=\"" + std::to_string(d) + "\"/>\n";
            }
            std::string name = video ? "video" : "audio";
            std::string codec = track_codec(video);
            auto bandwidth = seconds > 0 ? std::llround(static_cast<double>(bytes) * 8 / seconds) : 1;
            out += "    <AdaptationSet id=\"" + std::to_string(set_id++) + "\" contentType=\"" + name +
                   "\" mimeType=\"" + name + "/mp4\" segmentAlignment=\"true\" startWithSAP=\"1\">\n" +
                   "      <Representation id=\"" + name + "\"" + (codec.empty() ? "" : " codecs=\"" + xml_attr(codec) + "\"") +
                   " bandwidth=\"" + std::to_string(std::max<long long>(bandwidth, 1)) + "\"";
            if (video)
                out += " width=\"" + std::to_string(model->width) + "\" height=\"" + std::to_string(model->height) + "\">\n";
            else
                out += " audioSamplingRate=\"" + std::to_string(model->sample_rate) + "\">\n" +
                       "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"" +
                       std::to_string(model->channels) + "\"/>\n";
            out += "        <SegmentTemplate timescale=\"" + std::to_string(scale) + "\" presentationTimeOffset=\"" +
                   std::to_string(av_rescale(ep_decode, scale, 90000)) + "\" startNumber=\"" +
                   std::to_string(segments_[i].seq) + "\" initialization=\"" + name + "/init-" +
                   std::to_string(segments_[i].epoch) + ".mp4\" media=\"" + name + "/$Number$.m4s\">\n" +
                   "          <SegmentTimeline>\n" + timeline + "          </SegmentTimeline>\n" +
                   "        </SegmentTemplate>\n      </Representation>\n    </AdaptationSet>\n";
        }
        out += "  </Period>\n";
        i = end;
    }
    out += "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:direct:2014\" value=\"" + date_time(now_wall_us) + "\"/>\n";
    return out + "</MPD>\n";
}

}  // namespace sr::stream
