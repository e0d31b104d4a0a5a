#include "stream/fmp4.hpp"

#include "core/error.hpp"
#include "stream/mux.hpp"
#include "stream/segment.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/mathematics.h>
}

#include <cmath>

namespace sr::stream {

namespace {

// empty_moov: the init segment is the header alone. frag_custom: a fragment
// ends when we flush, so one segment is one moof + mdat. frag_discont with
// no edit list: the first fragment's tfdt is its first packet's decode time
// (the muxer would otherwise start every segment at 0). default_base_moof:
// data offsets from the moof, as CMAF requires. No sidx, no mfra: a segment
// is its fragment and nothing else.
constexpr const char* kMovflags = "+empty_moov+frag_custom+frag_discont+default_base_moof+dash+skip_sidx+skip_trailer";

struct Dict {
    AVDictionary* d = nullptr;
    ~Dict() { av_dict_free(&d); }
};

}  // namespace

mux::Output fmp4_open_track(const std::string& what, const Track& t, std::string& sink) {
    mux::Output oc = mux::open_output(what, "mp4", sink);
    AVStream* st = avformat_new_stream(oc.get(), nullptr);
    if (!st) throw std::bad_alloc();
    avcodec_parameters_copy(st->codecpar, t.params->p);
    st->codecpar->codec_tag = 0;  // the muxer picks avc1 / mp4a
    st->time_base = AVRational{t.time_base_num, t.time_base_den};
    // The timestamps are ours to set: nothing shifted to zero.
    oc->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
    Dict opts;
    av_dict_set(&opts.d, "movflags", kMovflags, 0);
    av_dict_set(&opts.d, "use_editlist", "0", 0);
    if (t.kind == Track::Kind::video)
        av_dict_set_int(&opts.d, "video_track_timescale", fmp4_timescale(t), 0);
    int err = avformat_write_header(oc.get(), &opts.d);
    if (err < 0) mux::failed(what, "mp4 header", err);
    // What the playlists and manifests say must be what the muxer writes.
    if (oc->streams[0]->time_base.num != 1 || oc->streams[0]->time_base.den != fmp4_timescale(t))
        throw Error("bad_media", what + ": the mp4 muxer chose timescale " +
                                     std::to_string(oc->streams[0]->time_base.den) + ", not " +
                                     std::to_string(fmp4_timescale(t)));
    avio_flush(oc->pb);
    return oc;
}

std::int64_t fmp4_timescale(const Track& t) {
    if (t.kind == Track::Kind::audio && t.sample_rate > 0) return t.sample_rate;
    // An MP4 track's time base is 1/its timescale; anything else gets 90 kHz.
    return t.time_base_num == 1 && t.time_base_den > 0 ? t.time_base_den : 90000;
}

std::int64_t fmp4_time(const Track& t, std::int64_t time) {
    AVRational tb{t.time_base_num, t.time_base_den};
    auto offset = static_cast<std::int64_t>(std::llround(kTimestampOffset * t.time_base_den / t.time_base_num));
    return av_rescale_q(time + offset, tb, AVRational{1, static_cast<int>(fmp4_timescale(t))});
}

std::size_t fmp4_segments(const MediaIndex& idx, std::size_t track) {
    std::size_t n = 0;
    while (n < idx.segments.size() && idx.segments[n].samples[track].first < idx.segments[n].samples[track].second)
        ++n;
    return n;
}

std::string fmp4_init(const MediaIndex& idx, std::size_t track) {
    std::string out;
    out.reserve(4096);
    mux::Output oc = fmp4_open_track(idx.path, idx.tracks.at(track), out);
    return out;  // the header alone; the context is freed without a trailer
}

std::string fmp4_segment(const MediaIndex& idx, std::size_t track, std::size_t n, int fd) {
    if (track >= idx.tracks.size() || n >= fmp4_segments(idx, track))
        throw Error("not_found", "no segment " + std::to_string(n));
    const Track& t = idx.tracks[track];
    auto [first, last] = idx.segments[n].samples[track];
    std::string out;
    out.reserve(idx.segments[n].bytes + (last - first) * 16 + 4096);  // samples, trun entries, boxes
    mux::Output oc = fmp4_open_track(idx.path, t, out);
    out.clear();  // ftyp + moov, dropped: they are the init segment
    // The mdat, one large write, goes straight into `out` (not through the
    // AVIO buffer): one copy of the samples less.
    oc->pb->direct = 1;
    mux::Packet pkt = mux::new_packet();
    int err = 0;
    for (std::size_t k = first; k < last; ++k) {
        const Sample& s = t.samples[k];
        mux::read_sample(idx, s, fd, pkt.get());
        pkt->dts = fmp4_time(t, s.dts);
        pkt->pts = fmp4_time(t, s.pts);
        // Rounded ends, not rounded durations: no drift between segments.
        pkt->duration = fmp4_time(t, s.dts + s.duration) - pkt->dts;
        pkt->stream_index = 0;
        if ((err = av_write_frame(oc.get(), pkt.get())) < 0) mux::failed(idx, "mp4 packet", err);
    }
    if ((err = av_write_frame(oc.get(), nullptr)) < 0) mux::failed(idx, "mp4 fragment", err);  // moof + mdat
    avio_flush(oc->pb);
    return out;
}

}  // namespace sr::stream
