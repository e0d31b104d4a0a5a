// sr-streamd's request parsing: a path and a Range header from a client.
// Input: the path, a newline, the Range header value.
#include "stream/routes.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string in(reinterpret_cast<const char*>(data), size);
    auto nl = in.find('\n');
    std::string path = in.substr(0, nl);
    std::string range = nl == std::string::npos ? "" : in.substr(nl + 1);
    if (auto r = sr::stream::parse_route(path)) {
        using Route = sr::stream::Route;
        // A route never names anything above the media directory.
        for (const auto* name : {&r->title, &r->rendition})
            if (name->find('/') != std::string::npos || name->rfind(".", 0) == 0) __builtin_trap();
        // An fMP4 track route names its track; no other route does.
        bool fmp4 = r->kind == Route::Kind::cmaf_media || r->kind == Route::Kind::cmaf_init ||
                    r->kind == Route::Kind::cmaf_segment || r->kind == Route::Kind::live_cmaf_media ||
                    r->kind == Route::Kind::live_cmaf_init || r->kind == Route::Kind::live_cmaf_segment;
        if (fmp4 != (r->track != Route::Track::none)) __builtin_trap();
    }
    auto a = sr::stream::parse_range(range, 1 + size * 1000);
    if (a.kind == sr::stream::RangeAnswer::Kind::partial && (a.range.first > a.range.last || a.range.last >= 1 + size * 1000))
        __builtin_trap();
    return 0;
}
