#include "stream/media.hpp"

#include "core/error.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <algorithm>
#include <cstdio>
#include <map>

namespace sr::stream {

CodecParameters::CodecParameters() : p(avcodec_parameters_alloc()) {
    if (!p) throw std::bad_alloc();
}
CodecParameters::~CodecParameters() { avcodec_parameters_free(&p); }
CodecParameters::CodecParameters(const CodecParameters& o) : CodecParameters() {
    if (avcodec_parameters_copy(p, o.p) < 0) throw std::bad_alloc();
}

const Track* MediaIndex::video() const {
    for (const auto& t : tracks)
        if (t.kind == Track::Kind::video) return &t;
    return nullptr;
}

const Track* MediaIndex::audio() const {
    for (const auto& t : tracks)
        if (t.kind == Track::Kind::audio) return &t;
    return nullptr;
}

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
    throw Error("bad_media", path + ": " + what);
}

std::string av_error(int err) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(err, buf, sizeof buf);
    return buf;
}

std::string hex2(unsigned v) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", v & 0xff);
    return b;
}

// RFC 6381 for H.264: avc1.PPCCLL from the avcC record (ISO 14496-15), or
// from the SPS when the extradata is in Annex B form.
std::string avc_codecs(const AVCodecParameters* p) {
    const std::uint8_t* x = p->extradata;
    int n = p->extradata_size;
    if (n >= 4 && x[0] == 1) return "avc1." + hex2(x[1]) + hex2(x[2]) + hex2(x[3]);
    for (int i = 0; i + 4 < n; ++i)
        if (x[i] == 0 && x[i + 1] == 0 && x[i + 2] == 1 && (x[i + 3] & 0x1f) == 7 && i + 6 < n)
            return "avc1." + hex2(x[i + 4]) + hex2(x[i + 5]) + hex2(x[i + 6]);
    return "";
}

// RFC 6381 for AAC: mp4a.40.AOT, the audio object type from the
// AudioSpecificConfig (ISO 14496-3 1.6.2.1).
std::string aac_codecs(const AVCodecParameters* p) {
    if (p->extradata_size >= 2) {
        int aot = p->extradata[0] >> 3;
        if (aot == 31) aot = 32 + (((p->extradata[0] & 7) << 3) | (p->extradata[1] >> 5));
        if (aot > 0) return "mp4a.40." + std::to_string(aot);
    }
    return p->profile >= 0 ? "mp4a.40." + std::to_string(p->profile + 1) : "mp4a.40.2";
}

}  // namespace

std::vector<Segment> cut_segments(const std::vector<Track>& tracks, double seconds) {
    std::vector<Segment> out;
    if (tracks.empty()) return out;
    // Boundaries: keyframes of the video track (or, audio only, every sample),
    // each at least `seconds` after the previous boundary.
    const Track& lead = tracks.front();
    std::vector<double> starts;
    for (const auto& s : lead.samples) {
        if (lead.kind == Track::Kind::video && !s.key) continue;
        double t = lead.seconds(s.dts);
        if (starts.empty() || t - starts.back() >= seconds - 1e-6) starts.push_back(t);
    }
    if (starts.empty()) return out;
    out.resize(starts.size());
    for (std::size_t i = 0; i < starts.size(); ++i) {
        out[i].start = starts[i];
        out[i].samples.resize(tracks.size());
    }
    for (std::size_t t = 0; t < tracks.size(); ++t) {
        const Track& tr = tracks[t];
        std::size_t seg = 0;
        std::size_t first = 0;
        for (std::size_t k = 0; k < tr.samples.size(); ++k) {
            double at = tr.seconds(tr.samples[k].dts);
            // The lead track's segment starts on its own samples exactly; the
            // others' samples go by time.
            while (seg + 1 < starts.size() && at >= starts[seg + 1] - (t == 0 ? 1e-9 : 0)) {
                out[seg].samples[t] = {first, k};
                first = k;
                ++seg;
            }
        }
        out[seg].samples[t] = {first, tr.samples.size()};
        for (++seg; seg < starts.size(); ++seg) out[seg].samples[t] = {tr.samples.size(), tr.samples.size()};
    }
    double end = 0;
    for (const auto& tr : tracks)
        if (!tr.samples.empty()) end = std::max(end, tr.seconds(tr.samples.back().dts + tr.samples.back().duration));
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i].duration = (i + 1 < out.size() ? out[i + 1].start : end) - out[i].start;
        for (std::size_t t = 0; t < tracks.size(); ++t)
            for (auto k = out[i].samples[t].first; k < out[i].samples[t].second; ++k)
                out[i].bytes += tracks[t].samples[k].size;
    }
    return out;
}

MediaIndex index_media(const std::string& path, double segment_seconds) {
    AVFormatContext* fmt = nullptr;
    int err = avformat_open_input(&fmt, path.c_str(), nullptr, nullptr);
    if (err < 0) bad(path, "cannot open: " + av_error(err));
    std::unique_ptr<AVFormatContext, void (*)(AVFormatContext*)> guard(fmt, [](AVFormatContext* f) {
        avformat_close_input(&f);
    });
    if ((err = avformat_find_stream_info(fmt, nullptr)) < 0) bad(path, "cannot read its streams: " + av_error(err));

    MediaIndex idx;
    idx.path = path;
    std::map<int, std::size_t> track_of;  // stream index -> track
    int video = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    int audio = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    for (int s : {video, audio}) {
        if (s < 0) continue;
        const AVStream* st = fmt->streams[s];
        const AVCodecParameters* p = st->codecpar;
        Track t;
        t.kind = p->codec_type == AVMEDIA_TYPE_VIDEO ? Track::Kind::video : Track::Kind::audio;
        t.time_base_num = st->time_base.num;
        t.time_base_den = st->time_base.den;
        t.codec = avcodec_get_name(p->codec_id);
        if (p->codec_id == AV_CODEC_ID_H264) t.codecs = avc_codecs(p);
        else if (p->codec_id == AV_CODEC_ID_AAC) t.codecs = aac_codecs(p);
        else bad(path, "codec " + t.codec + " is not served (H.264 video and AAC audio are)");
        if (t.codecs.empty()) bad(path, "H.264 track without a usable SPS");
        t.width = p->width;
        t.height = p->height;
        t.sample_rate = p->sample_rate;
        t.channels = p->ch_layout.nb_channels;
        t.params = std::make_shared<CodecParameters>();
        avcodec_parameters_copy(t.params->p, p);
        track_of[s] = idx.tracks.size();
        idx.tracks.push_back(std::move(t));
    }
    if (idx.tracks.empty()) bad(path, "no H.264 video or AAC audio track");

    // Packets in file order, data and all: libavformat keeps composition
    // times (pts) out of its index entries, and they are needed.
    AVPacket* pkt = av_packet_alloc();
    std::unique_ptr<AVPacket, void (*)(AVPacket*)> pkt_guard(pkt, [](AVPacket* p) { av_packet_free(&p); });
    for (int s = 0; s < static_cast<int>(fmt->nb_streams); ++s)
        if (!track_of.count(s)) fmt->streams[s]->discard = AVDISCARD_ALL;
    while ((err = av_read_frame(fmt, pkt)) >= 0) {
        auto it = track_of.find(pkt->stream_index);
        if (it != track_of.end() && pkt->pos >= 0 && pkt->size > 0) {
            Sample s;
            s.dts = pkt->dts == AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            s.pts = pkt->pts == AV_NOPTS_VALUE ? s.dts : pkt->pts;
            s.duration = pkt->duration;
            s.pos = pkt->pos;
            s.size = static_cast<std::uint32_t>(pkt->size);
            s.key = pkt->flags & AV_PKT_FLAG_KEY;
            idx.tracks[it->second].samples.push_back(s);
        }
        av_packet_unref(pkt);
    }
    if (err != AVERROR_EOF) bad(path, "cannot read it to the end: " + av_error(err));
    std::int64_t file_size = avio_size(fmt->pb);
    for (const auto& [s, t] : track_of) {
        // The sample table promises more than the file holds: truncated.
        int listed = avformat_index_get_entries_count(fmt->streams[s]);
        const auto& samples = idx.tracks[t].samples;
        bool beyond = !samples.empty() && file_size > 0 &&
                      samples.back().pos + static_cast<std::int64_t>(samples.back().size) > file_size;
        if (listed > static_cast<int>(samples.size()) || beyond)
            bad(path, "truncated: " + std::to_string(samples.size()) + " of the " + std::to_string(listed) +
                          " samples of a track are in the file");
    }
    for (auto& t : idx.tracks) {
        if (t.samples.empty()) bad(path, "a track without samples");
        std::stable_sort(t.samples.begin(), t.samples.end(),
                         [](const Sample& a, const Sample& b) { return a.dts < b.dts; });
    }
    const Track* v = idx.video();
    if (v && std::none_of(v->samples.begin(), v->samples.end(), [](const Sample& s) { return s.key; }))
        bad(path, "no keyframe in the video track");

    idx.segments = cut_segments(idx.tracks, segment_seconds);
    for (const auto& t : idx.tracks)
        idx.duration = std::max(idx.duration, t.seconds(t.samples.back().dts + t.samples.back().duration) -
                                                  t.seconds(t.samples.front().dts));
    std::uint64_t total = 0;
    for (const auto& s : idx.segments) {
        total += s.bytes;
        if (s.duration > 0)
            idx.bitrate_peak = std::max(idx.bitrate_peak, static_cast<std::int64_t>(s.bytes * 8 / s.duration));
    }
    if (idx.duration > 0) idx.bitrate_average = static_cast<std::int64_t>(total * 8 / idx.duration);
    idx.file_size = static_cast<std::uint64_t>(std::max<std::int64_t>(avio_size(fmt->pb), 0));
    return idx;
}

}  // namespace sr::stream
