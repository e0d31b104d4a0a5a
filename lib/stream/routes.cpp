#include "stream/routes.hpp"

#include "stream/catalog.hpp"

#include <charconv>
#include <vector>

namespace sr::stream {

namespace {

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == '/') {
            out.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return out;
}

std::optional<std::uint64_t> decimal(const std::string& s) {
    if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// /vod/NAME/REND/TRACK/{cmaf.m3u8,init.mp4,N.m4s}, NAME and REND checked.
std::optional<Route> cmaf_route(const std::vector<std::string>& parts) {
    Route r{Route::Kind::cmaf_media, parts[0], parts[1], 0};
    if (parts[2] == "video") r.track = Route::Track::video;
    else if (parts[2] == "audio") r.track = Route::Track::audio;
    else return std::nullopt;
    if (parts[3] == "cmaf.m3u8") return r;
    if (parts[3] == "init.mp4") {
        r.kind = Route::Kind::cmaf_init;
        return r;
    }
    if (!ends_with(parts[3], ".m4s")) return std::nullopt;
    auto n = decimal(parts[3].substr(0, parts[3].size() - 4));
    if (!n) return std::nullopt;
    r.kind = Route::Kind::cmaf_segment;
    r.segment = static_cast<std::size_t>(*n);
    return r;
}

// /live/NAME/..., after "/live/".
std::optional<Route> live_route(const std::string& rest) {
    auto parts = split(rest);
    if (parts.size() < 2 || parts.size() > 3 || !Catalog::valid_name(parts[0])) return std::nullopt;
    if (parts.size() == 3) {  // TRACK/{cmaf.m3u8,init-E.mp4,N.m4s}
        Route r{Route::Kind::live_cmaf_media, parts[0], "", 0};
        if (parts[1] == "video") r.track = Route::Track::video;
        else if (parts[1] == "audio") r.track = Route::Track::audio;
        else return std::nullopt;
        const std::string& file = parts[2];
        if (file == "cmaf.m3u8") return r;
        std::optional<std::uint64_t> n;
        if (file.rfind("init-", 0) == 0 && ends_with(file, ".mp4")) {
            r.kind = Route::Kind::live_cmaf_init;
            n = decimal(file.substr(5, file.size() - 9));
        } else if (ends_with(file, ".m4s")) {
            r.kind = Route::Kind::live_cmaf_segment;
            n = decimal(file.substr(0, file.size() - 4));
        }
        if (!n) return std::nullopt;
        r.segment = static_cast<std::size_t>(*n);
        return r;
    }
    const std::string& file = parts[1];
    if (file == "hls.m3u8") return Route{Route::Kind::live_multivariant, parts[0], "", 0};
    if (file == "ts.m3u8") return Route{Route::Kind::live_media_ts, parts[0], "", 0};
    if (file == "cmaf.m3u8") return Route{Route::Kind::live_cmaf_multivariant, parts[0], "", 0};
    if (file == "manifest.mpd") return Route{Route::Kind::live_dash_manifest, parts[0], "", 0};
    if (!ends_with(file, ".ts")) return std::nullopt;
    auto n = decimal(file.substr(0, file.size() - 3));
    if (!n) return std::nullopt;
    return Route{Route::Kind::live_segment, parts[0], "", static_cast<std::size_t>(*n)};
}

}  // namespace

std::optional<Route> parse_route(const std::string& path) {
    if (path == "/vod/" || path == "/vod") return Route{Route::Kind::index, "", "", 0};
    if (path == "/live/" || path == "/live") return Route{Route::Kind::live_index, "", "", 0};
    if (path.rfind("/live/", 0) == 0) return live_route(path.substr(6));
    if (path.rfind("/vod/", 0) != 0) return std::nullopt;
    auto parts = split(path.substr(5));
    for (const auto& p : parts)
        if (p.empty()) return std::nullopt;
    if (parts.size() == 1) {
        if (!ends_with(parts[0], ".mp4")) return std::nullopt;
        std::string name = parts[0].substr(0, parts[0].size() - 4);
        if (!Catalog::valid_name(name)) return std::nullopt;
        return Route{Route::Kind::progressive, name, "", 0};
    }
    if (!Catalog::valid_name(parts[0])) return std::nullopt;
    if (parts.size() == 2) {
        if (parts[1] == "hls.m3u8") return Route{Route::Kind::hls_multivariant, parts[0], "", 0};
        if (parts[1] == "cmaf.m3u8") return Route{Route::Kind::cmaf_multivariant, parts[0], "", 0};
        if (parts[1] == "manifest.mpd") return Route{Route::Kind::dash_manifest, parts[0], "", 0};
        return std::nullopt;
    }
    if (!Catalog::valid_name(parts[1])) return std::nullopt;
    if (parts.size() == 4) return cmaf_route(parts);
    if (parts.size() != 3) return std::nullopt;
    if (parts[2] == "ts.m3u8") return Route{Route::Kind::hls_media_ts, parts[0], parts[1], 0};
    if (ends_with(parts[2], ".ts")) {
        auto n = decimal(parts[2].substr(0, parts[2].size() - 3));
        if (!n) return std::nullopt;
        return Route{Route::Kind::ts_segment, parts[0], parts[1], static_cast<std::size_t>(*n)};
    }
    return std::nullopt;
}

RangeAnswer parse_range(const std::string& header, std::uint64_t size) {
    RangeAnswer whole;
    const std::string unit = "bytes=";
    if (header.rfind(unit, 0) != 0) return whole;
    std::string spec = header.substr(unit.size());
    if (spec.find(',') != std::string::npos) return whole;
    auto dash = spec.find('-');
    if (dash == std::string::npos) return whole;
    std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
    auto num = [](const std::string& s) -> std::optional<std::uint64_t> {
        if (s.empty() || s.size() > 19) return std::nullopt;
        std::uint64_t v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
        return v;
    };
    if (a.empty()) {  // the last N bytes
        auto n = num(b);
        if (!n) return whole;
        if (*n == 0 || size == 0) return {RangeAnswer::Kind::unsatisfiable, {}};
        std::uint64_t len = std::min(*n, size);
        return {RangeAnswer::Kind::partial, {size - len, size - 1}};
    }
    auto first = num(a);
    if (!first) return whole;
    std::optional<std::uint64_t> last;
    if (!b.empty()) {
        last = num(b);
        if (!last || *last < *first) return whole;
    }
    if (*first >= size) return {RangeAnswer::Kind::unsatisfiable, {}};
    return {RangeAnswer::Kind::partial, {*first, std::min(last.value_or(size - 1), size - 1)}};
}

}  // namespace sr::stream
