#include "stream/playlist.hpp"

#include "stream/fmp4.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace sr::stream {

namespace {

std::string fixed3(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", v);
    return b;
}

std::string codecs_of(const MediaIndex& idx) {
    std::string out;
    for (const auto& t : idx.tracks) out += (out.empty() ? "" : ",") + t.codecs;
    return out;
}

// The index of the track of that kind, or -1.
int track_index(const MediaIndex& idx, Track::Kind kind) {
    for (std::size_t t = 0; t < idx.tracks.size(); ++t)
        if (idx.tracks[t].kind == kind) return static_cast<int>(t);
    return -1;
}

struct Bitrates {
    std::int64_t peak = 0, average = 0;  // bits/s
};

// A track's bit rates over its segments (samples' bytes, fMP4 overhead).
Bitrates track_bitrates(const MediaIndex& idx, std::size_t track) {
    const Track& t = idx.tracks[track];
    auto bounds = fmp4_boundaries(idx, track);
    double scale = static_cast<double>(fmp4_timescale(t));
    std::uint64_t total = 0;
    Bitrates b;
    for (std::size_t n = 0; n + 1 < bounds.size(); ++n) {
        std::uint64_t bytes = 0;
        for (auto k = idx.segments[n].samples[track].first; k < idx.segments[n].samples[track].second; ++k)
            bytes += t.samples[k].size;
        total += bytes;
        double seconds = static_cast<double>(bounds[n + 1] - bounds[n]) / scale;
        if (seconds > 0) b.peak = std::max<std::int64_t>(b.peak, std::llround(bytes * 8 * kFmp4Overhead / seconds));
    }
    double seconds = bounds.size() > 1 ? static_cast<double>(bounds.back() - bounds.front()) / scale : 0;
    if (seconds > 0) b.average = std::llround(total * 8 * kFmp4Overhead / seconds);
    return b;
}

// A Representation's SegmentTemplate with its SegmentTimeline: runs of equal
// durations as one S with r. `start` (seconds on the fMP4 timeline) is the
// presentation's start, the same for every track so that they stay in sync.
std::string segment_template(const MediaIndex& idx, std::size_t track, const std::string& base, double start) {
    const Track& t = idx.tracks[track];
    auto bounds = fmp4_boundaries(idx, track);
    auto offset = static_cast<std::int64_t>(std::floor(start * static_cast<double>(fmp4_timescale(t)) + 1e-6));
    std::string out = "        <SegmentTemplate timescale=\"" + std::to_string(fmp4_timescale(t)) +
                      "\" presentationTimeOffset=\"" + std::to_string(offset) +
                      "\" startNumber=\"0\" initialization=\"" + xml_attr(base) + "/init.mp4\" media=\"" +
                      xml_attr(base) + "/$Number$.m4s\">\n          <SegmentTimeline>\n";
    for (std::size_t n = 0; n + 1 < bounds.size();) {
        std::int64_t d = bounds[n + 1] - bounds[n];
        std::size_t r = 0;
        while (n + r + 2 < bounds.size() && bounds[n + r + 2] - bounds[n + r + 1] == d) ++r;
        out += "            <S t=\"" + std::to_string(bounds[n]) + "\" d=\"" + std::to_string(d) + "\"" +
               (r ? " r=\"" + std::to_string(r) + "\"" : "") + "/>\n";
        n += r + 1;
    }
    return out + "          </SegmentTimeline>\n        </SegmentTemplate>\n";
}

}  // namespace

std::string xml_attr(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string iso_duration(double seconds) { return "PT" + fixed3(seconds) + "S"; }


std::string url_component(const std::string& name) {
    std::string out;
    for (unsigned char c : name) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char b[4];
            std::snprintf(b, sizeof b, "%%%02X", c);
            out += b;
        }
    }
    return out;
}

std::vector<std::int64_t> fmp4_boundaries(const MediaIndex& idx, std::size_t track) {
    const Track& t = idx.tracks[track];
    std::size_t count = fmp4_segments(idx, track);
    std::vector<std::int64_t> out;
    std::int64_t end = INT64_MIN;
    for (std::size_t n = 0; n < count; ++n) {
        auto [first, last] = idx.segments[n].samples[track];
        std::int64_t earliest = t.samples[first].pts;
        for (auto k = first; k < last; ++k) {
            earliest = std::min(earliest, t.samples[k].pts);
            end = std::max(end, t.samples[k].pts + t.samples[k].duration);
        }
        out.push_back(fmp4_time(t, earliest));
    }
    if (!out.empty()) out.push_back(std::max(fmp4_time(t, end), out.back()));
    return out;
}

std::string hls_multivariant_ts(const std::vector<Rendition>& renditions) {
    std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n";
    for (const auto& r : renditions) {
        const MediaIndex& idx = *r.index;
        out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(std::llround(idx.bitrate_peak * kTsOverhead)) +
               ",AVERAGE-BANDWIDTH=" + std::to_string(std::llround(idx.bitrate_average * kTsOverhead));
        if (const Track* v = idx.video()) out += ",RESOLUTION=" + std::to_string(v->width) + "x" + std::to_string(v->height);
        out += ",CODECS=\"" + codecs_of(idx) + "\"\n" + r.name + "/ts.m3u8\n";
    }
    return out;
}

std::string hls_media_ts(const MediaIndex& idx) {
    double longest = 0;
    for (const auto& s : idx.segments) longest = std::max(longest, s.duration);
    // EXT-X-TARGETDURATION: every EXTINF rounded to the nearest integer must not exceed it.
    std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:" +
                      std::to_string(static_cast<long>(std::lround(longest))) +
                      "\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n";
    for (std::size_t i = 0; i < idx.segments.size(); ++i)
        out += "#EXTINF:" + fixed3(idx.segments[i].duration) + ",\n" + std::to_string(i) + ".ts\n";
    out += "#EXT-X-ENDLIST\n";
    return out;
}

std::string hls_multivariant_cmaf(const std::vector<Rendition>& renditions) {
    std::string out = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n";
    if (renditions.empty()) return out;
    // One audio for every variant: the first rendition's.
    const MediaIndex& first = *renditions.front().index;
    int audio = track_index(first, Track::Kind::audio);
    Bitrates audio_rate;
    std::string group;
    if (audio >= 0) {
        const Track& a = first.tracks[static_cast<std::size_t>(audio)];
        audio_rate = track_bitrates(first, static_cast<std::size_t>(audio));
        group = ",AUDIO=\"audio\"";
        out += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"" +
               std::to_string(a.channels) + "\",URI=\"" + url_component(renditions.front().name) +
               "/audio/cmaf.m3u8\"\n";
    }
    for (const auto& r : renditions) {
        const MediaIndex& idx = *r.index;
        int video = track_index(idx, Track::Kind::video);
        if (video < 0) {  // audio alone: the audio is the variant
            if (&r != &renditions.front() || audio < 0) continue;
            out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(audio_rate.peak) +
                   ",AVERAGE-BANDWIDTH=" + std::to_string(audio_rate.average) + ",CODECS=\"" +
                   first.tracks[static_cast<std::size_t>(audio)].codecs + "\"\n" + url_component(r.name) +
                   "/audio/cmaf.m3u8\n";
            continue;
        }
        const Track& v = idx.tracks[static_cast<std::size_t>(video)];
        Bitrates rate = track_bitrates(idx, static_cast<std::size_t>(video));
        std::string codecs = v.codecs;
        if (audio >= 0) codecs += "," + first.tracks[static_cast<std::size_t>(audio)].codecs;
        out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(rate.peak + audio_rate.peak) +
               ",AVERAGE-BANDWIDTH=" + std::to_string(rate.average + audio_rate.average) +
               ",RESOLUTION=" + std::to_string(v.width) + "x" + std::to_string(v.height) + ",CODECS=\"" + codecs +
               "\"" + group + "\n" + url_component(r.name) + "/video/cmaf.m3u8\n";
    }
    return out;
}

std::string hls_media_cmaf(const MediaIndex& idx, std::size_t track) {
    const Track& t = idx.tracks.at(track);
    auto bounds = fmp4_boundaries(idx, track);
    double scale = static_cast<double>(fmp4_timescale(t));
    double longest = 0;
    for (std::size_t n = 0; n + 1 < bounds.size(); ++n)
        longest = std::max(longest, static_cast<double>(bounds[n + 1] - bounds[n]) / scale);
    std::string out = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:" +
                      std::to_string(static_cast<long>(std::lround(longest))) +
                      "\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n"
                      "#EXT-X-MAP:URI=\"init.mp4\"\n";
    for (std::size_t n = 0; n + 1 < bounds.size(); ++n)
        out += "#EXTINF:" + fixed3(static_cast<double>(bounds[n + 1] - bounds[n]) / scale) + ",\n" +
               std::to_string(n) + ".m4s\n";
    out += "#EXT-X-ENDLIST\n";
    return out;
}

std::string dash_manifest(const std::vector<Rendition>& renditions) {
    // The tracks it lists: every rendition's video, the first one's audio.
    std::vector<std::pair<const MediaIndex*, std::size_t>> tracks;
    for (const auto& r : renditions)
        for (std::size_t t = 0; t < r.index->tracks.size(); ++t)
            if (r.index->tracks[t].kind == Track::Kind::video || &r == &renditions.front())
                tracks.emplace_back(r.index, t);
    // The presentation starts with the earliest track and ends with the last.
    double start = 0, end = 0, longest = 0;
    bool any = false;
    for (auto [idx, t] : tracks) {
        auto bounds = fmp4_boundaries(*idx, t);
        if (bounds.size() < 2) continue;
        double scale = static_cast<double>(fmp4_timescale(idx->tracks[t]));
        start = any ? std::min(start, static_cast<double>(bounds.front()) / scale) : static_cast<double>(bounds.front()) / scale;
        end = std::max(end, static_cast<double>(bounds.back()) / scale);
        any = true;
        for (std::size_t n = 0; n + 1 < bounds.size(); ++n)
            longest = std::max(longest, static_cast<double>(bounds[n + 1] - bounds[n]) / scale);
    }
    double duration = any ? end - start : 0;
    std::string out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" "
        "type=\"static\" mediaPresentationDuration=\"" +
        iso_duration(duration) + "\" maxSegmentDuration=\"" + iso_duration(longest) + "\" minBufferTime=\"" +
        iso_duration(longest) + "\">\n  <Period id=\"0\" start=\"PT0S\">\n";
    std::string video;
    for (const auto& r : renditions) {
        int v = track_index(*r.index, Track::Kind::video);
        if (v < 0) continue;
        const Track& t = r.index->tracks[static_cast<std::size_t>(v)];
        video += "      <Representation id=\"" + xml_attr(r.name) + "\" codecs=\"" + xml_attr(t.codecs) +
                 "\" bandwidth=\"" + std::to_string(track_bitrates(*r.index, static_cast<std::size_t>(v)).peak) +
                 "\" width=\"" + std::to_string(t.width) + "\" height=\"" + std::to_string(t.height) + "\">\n" +
                 segment_template(*r.index, static_cast<std::size_t>(v), url_component(r.name) + "/video", start) +
                 "      </Representation>\n";
    }
    if (!video.empty())
        out += "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\" segmentAlignment=\"true\" "
               "startWithSAP=\"1\">\n" + video + "    </AdaptationSet>\n";
    if (!renditions.empty()) {
        const Rendition& r = renditions.front();
        int a = track_index(*r.index, Track::Kind::audio);
        if (a >= 0) {
            const Track& t = r.index->tracks[static_cast<std::size_t>(a)];
            out += "    <AdaptationSet id=\"1\" contentType=\"audio\" mimeType=\"audio/mp4\" segmentAlignment=\"true\" "
                   "startWithSAP=\"1\">\n      <Representation id=\"audio\" codecs=\"" + xml_attr(t.codecs) +
                   "\" bandwidth=\"" + std::to_string(track_bitrates(*r.index, static_cast<std::size_t>(a)).peak) +
                   "\" audioSamplingRate=\"" + std::to_string(t.sample_rate) + "\">\n" +
                   "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" "
                   "value=\"" + std::to_string(t.channels) + "\"/>\n" +
                   segment_template(*r.index, static_cast<std::size_t>(a), url_component(r.name) + "/audio", start) +
                   "      </Representation>\n    </AdaptationSet>\n";
        }
    }
    return out + "  </Period>\n</MPD>\n";
}

}  // namespace sr::stream
