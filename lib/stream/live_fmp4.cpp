#include "stream/live_fmp4.hpp"

#include "core/error.hpp"
#include "stream/fmp4.hpp"
#include "stream/media.hpp"
#include "stream/mux.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>
}

#include <cstring>
#include <vector>

namespace sr::stream {

namespace {

constexpr std::int64_t k33 = std::int64_t{1} << 33;

// The segment's bytes as libavformat's input.
struct MemoryInput {
    const std::string* bytes;
    std::size_t at = 0;
};

int read_memory(void* opaque, std::uint8_t* buf, int size) {
    auto* in = static_cast<MemoryInput*>(opaque);
    std::size_t n = std::min(static_cast<std::size_t>(size), in->bytes->size() - in->at);
    if (n == 0) return AVERROR_EOF;
    std::memcpy(buf, in->bytes->data() + in->at, n);
    in->at += n;
    return static_cast<int>(n);
}

struct InputDeleter {
    void operator()(AVFormatContext* ic) const {
        if (!ic) return;
        AVIOContext* pb = ic->pb;
        avformat_close_input(&ic);
        if (pb) {
            av_freep(&pb->buffer);
            avio_context_free(&pb);
        }
    }
};

// A demuxed packet, kept as libavformat gave it (its data referenced, not
// copied: the muxer reads it from there), with its unwrapped times.
struct Frame {
    mux::Packet pkt;
    std::int64_t dts = 0, pts = 0;  // unwrapped, 90 kHz
};

// AudioSpecificConfig (ISO 14496-3 1.6.2.1) from an ADTS header, for an AAC
// stream whose parameters came without one (MPEG-TS carries ADTS).
bool asc_from_adts(const std::uint8_t* h, std::size_t n, std::uint8_t out[2]) {
    if (n < 7 || h[0] != 0xff || (h[1] & 0xf6) != 0xf0) return false;
    unsigned object = ((h[2] >> 6) & 3) + 1, rate = (h[2] >> 2) & 0x0f, chans = ((h[2] & 1) << 2) | (h[3] >> 6);
    out[0] = static_cast<std::uint8_t>((object << 3) | (rate >> 1));
    out[1] = static_cast<std::uint8_t>(((rate & 1) << 7) | (chans << 3));
    return true;
}

std::size_t adts_header_size(const AVPacket& p) {
    if (p.size < 7 || p.data[0] != 0xff || (p.data[1] & 0xf6) != 0xf0) return 0;
    return (p.data[1] & 1) ? 7 : 9;  // protection_absent, else a CRC follows
}

// One track's frames muxed: init and fragment.
LiveFragment mux_track(const std::string& what, const Track& t, const std::vector<Frame>& frames,
                       std::int64_t frame_ticks) {
    LiveFragment f;
    f.timescale = fmp4_timescale(t);
    mux::Output oc = fmp4_open_track(what, t, f.init);
    std::size_t bytes = 0;
    for (const auto& fr : frames) bytes += static_cast<std::size_t>(fr.pkt->size);
    f.media.reserve(bytes + frames.size() * 16 + 1024);  // samples, trun entries, boxes
    // The header went into f.init; what follows, the fragment, into f.media,
    // the mdat straight (not through the AVIO buffer), as for the titles.
    avio_flush(oc->pb);
    oc->pb->opaque = &f.media;
    oc->pb->direct = 1;
    AVRational from{1, 90000}, to{1, static_cast<int>(f.timescale)};
    auto ticks = [&](std::int64_t t90) { return av_rescale_q(t90, from, to); };
    int err = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const Frame& fr = frames[i];
        std::int64_t next = i + 1 < frames.size() ? frames[i + 1].dts : fr.dts + frame_ticks;
        AVPacket* pkt = fr.pkt.get();  // av_write_frame does not take it, nor change it
        pkt->dts = ticks(fr.dts);
        pkt->pts = ticks(fr.pts);
        pkt->duration = ticks(next) - pkt->dts;  // rounded ends: no drift
        pkt->stream_index = 0;
        if ((err = av_write_frame(oc.get(), pkt)) < 0) mux::failed(what, "mp4 packet", err);
    }
    if ((err = av_write_frame(oc.get(), nullptr)) < 0) mux::failed(what, "mp4 fragment", err);
    avio_flush(oc->pb);
    f.start = ticks(frames.front().dts);
    std::int64_t earliest = frames.front().pts;
    for (const auto& fr : frames) earliest = std::min(earliest, fr.pts);
    f.earliest = ticks(earliest);
    f.duration = ticks(frames.back().dts + frame_ticks) - f.start;
    return f;
}

}  // namespace

LiveFmp4 package_live_fmp4(const std::string& ts, std::uint64_t first_dts, std::int64_t decode_start,
                           const std::string& what) {
    MemoryInput in{&ts};
    constexpr int kIoBuffer = 64 << 10;
    auto* iobuf = static_cast<std::uint8_t*>(av_malloc(kIoBuffer));
    if (!iobuf) throw std::bad_alloc();
    AVIOContext* pb = avio_alloc_context(iobuf, kIoBuffer, 0, &in, &read_memory, nullptr, nullptr);
    if (!pb) {
        av_free(iobuf);
        throw std::bad_alloc();
    }
    AVFormatContext* raw = avformat_alloc_context();
    if (!raw) {
        av_freep(&pb->buffer);
        avio_context_free(&pb);
        throw std::bad_alloc();
    }
    raw->pb = pb;
    raw->flags |= AVFMT_FLAG_CUSTOM_IO;
    int err = avformat_open_input(&raw, nullptr, av_find_input_format("mpegts"), nullptr);
    if (err < 0) {  // raw is freed, the AVIO is still ours
        av_freep(&pb->buffer);
        avio_context_free(&pb);
        mux::failed(what, "MPEG-TS demuxer", err);
    }
    std::unique_ptr<AVFormatContext, InputDeleter> ic(raw);
    if ((err = avformat_find_stream_info(ic.get(), nullptr)) < 0) mux::failed(what, "MPEG-TS streams", err);
    int video = av_find_best_stream(ic.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    int audio = av_find_best_stream(ic.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (video >= 0 && ic->streams[video]->codecpar->codec_id != AV_CODEC_ID_H264) video = -1;
    if (audio >= 0 && ic->streams[audio]->codecpar->codec_id != AV_CODEC_ID_AAC) audio = -1;
    if (video < 0 && audio < 0) throw Error("bad_media", what + ": no H.264 or AAC stream for fMP4");

    // Every frame's time: its distance from the segment's first decode time
    // (signed, modulo 2^33), from the unwrapped start.
    auto unwrap = [&](std::int64_t t) {
        std::int64_t d = ((t - static_cast<std::int64_t>(first_dts)) % k33 + k33) % k33;
        if (d >= k33 / 2) d -= k33;
        return decode_start + d;
    };
    std::vector<Frame> frames[2];
    mux::Packet pkt = mux::new_packet();
    while (av_read_frame(ic.get(), pkt.get()) >= 0) {
        int which = pkt->stream_index == video ? 0 : pkt->stream_index == audio ? 1 : -1;
        std::int64_t dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
        bool key = pkt->flags & AV_PKT_FLAG_KEY;
        // The cut is at a keyframe; video before one is nothing a player can start at.
        if (which >= 0 && dts != AV_NOPTS_VALUE && pkt->size > 0 && (which == 1 || key || !frames[0].empty())) {
            // The time base of MPEG-TS streams is 1/90000.
            Frame f{mux::new_packet(), unwrap(dts), unwrap(pkt->pts != AV_NOPTS_VALUE ? pkt->pts : dts)};
            av_packet_move_ref(f.pkt.get(), pkt.get());
            f.pkt->flags = key ? AV_PKT_FLAG_KEY : 0;
            frames[which].push_back(std::move(f));
        }
        av_packet_unref(pkt.get());
    }

    LiveFmp4 out;
    for (int which : {0, 1}) {
        int index = which == 0 ? video : audio;
        if (index < 0 || frames[which].empty()) continue;
        const AVStream* st = ic->streams[index];
        Track t;
        t.kind = which == 0 ? Track::Kind::video : Track::Kind::audio;
        t.params = std::make_shared<CodecParameters>();
        avcodec_parameters_copy(t.params->p, st->codecpar);
        t.sample_rate = st->codecpar->sample_rate;
        t.time_base_num = 1;
        t.time_base_den = which == 0 ? 90000 : std::max(t.sample_rate, 1);
        std::int64_t frame_ticks = 3600;  // 25 fps, if a segment has one frame
        if (which == 1) {
            // ADTS headers off (MP4 carries raw AAC), and the config they held.
            std::uint8_t asc[2];
            const AVPacket& first_frame = *frames[1][0].pkt;
            if (t.params->p->extradata_size == 0 &&
                asc_from_adts(first_frame.data, static_cast<std::size_t>(first_frame.size), asc)) {
                t.params->p->extradata = static_cast<std::uint8_t*>(av_mallocz(2 + AV_INPUT_BUFFER_PADDING_SIZE));
                std::memcpy(t.params->p->extradata, asc, 2);
                t.params->p->extradata_size = 2;
            }
            for (auto& f : frames[1])
                if (std::size_t h = adts_header_size(*f.pkt)) {  // the packet's view of its buffer moves on
                    f.pkt->data += h;
                    f.pkt->size -= static_cast<int>(h);
                }
            int samples = t.params->p->frame_size > 0 ? t.params->p->frame_size : 1024;
            frame_ticks = t.sample_rate > 0 ? std::int64_t{samples} * 90000 / t.sample_rate : 1920;
        } else if (frames[0].size() > 1) {
            frame_ticks = frames[0][1].dts - frames[0][0].dts;
        }
        if (which == 0 && (t.params->p->extradata_size == 0))
            throw Error("bad_media", what + ": no SPS/PPS in the segment for the fMP4 init");
        LiveFragment f = mux_track(what, t, frames[which], frame_ticks > 0 ? frame_ticks : 3600);
        f.width = st->codecpar->width;
        f.height = st->codecpar->height;
        f.sample_rate = st->codecpar->sample_rate;
        f.channels = st->codecpar->ch_layout.nb_channels;
        (which == 0 ? out.video : out.audio) = std::move(f);
    }
    return out;
}

}  // namespace sr::stream
