#include "cache/peer.hpp"

#include "core/secret.hpp"

#include <charconv>

namespace sr::cache {

namespace {

std::string hex(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string mac_of(const std::string& key, const std::string& t, const std::string& url) {
    return hex(hmac_sha256(key, {"sr-peer\n", t, "\n", url}));
}

}  // namespace

std::string peer_mark(const std::optional<std::string>& key, const std::string& url, std::int64_t now) {
    if (!key) return "1";
    std::string t = std::to_string(now);
    return "t=" + t + ",mac=" + mac_of(*key, t, url);
}

bool peer_mark_valid(const std::optional<std::string>& key, std::string_view mark, const std::string& url,
                     std::int64_t now) {
    if (!key) return true;
    if (mark.substr(0, 2) != "t=") return false;
    auto comma = mark.find(",mac=");
    if (comma == std::string_view::npos) return false;
    std::string_view t = mark.substr(2, comma - 2);
    std::int64_t when = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), when);
    if (ec != std::errc() || end != t.data() + t.size()) return false;
    if (when < now - kPeerMarkWindow || when > now + kPeerMarkWindow) return false;
    return same_secret(mark.substr(comma + 5), mac_of(*key, std::string(t), url));
}

}  // namespace sr::cache
