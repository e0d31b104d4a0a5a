#include "cache/peer.hpp"

#include "core/secret.hpp"

#include <cctype>
#include <charconv>

namespace sr::cache {

namespace {

std::string mac_of(const std::string& key, const std::string& t, const std::string& url) {
    return hex_of(hmac_sha256(key, {"sr-peer\n", t, "\n", url}));
}

// The record's bytes as they are signed: its msgpack map without "mac".
// Value's maps are ordered by key, so both sides encode a record alike.
std::string signed_bytes(std::string_view ns, const Value& record) {
    Value unsigned_record = record;
    unsigned_record.erase("mac");
    msgpack::sbuffer buf;
    Packer pk(buf);
    pack_value(pk, unsigned_record);
    std::string out = "sr-record\n";
    out.append(ns);
    out.push_back('\n');
    out.append(buf.data(), buf.size());
    return out;
}

}  // namespace

std::string hex_of(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string peer_mark(const std::optional<std::string>& key, const std::string& url, std::int64_t now) {
    if (!key) return "1";  // open cooperation: the receiver takes it as an ordinary request
    std::string t = std::to_string(now);
    return "t=" + t + ",mac=" + mac_of(*key, t, url);
}

bool peer_mark_valid(const std::optional<std::string>& key, std::string_view mark, const std::string& url,
                     std::int64_t now) {
    if (!key) return false;  // a mark proves nothing without a key (issue 9, item 6)
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

void sign_record(const std::string& key, std::string_view ns, Value& record) {
    record["mac"] = hex_of(hmac_sha256(key, {signed_bytes(ns, record)}));
}

namespace {

bool framing_field(std::string_view lower_name) {
    return lower_name == "content-length" || lower_name == "transfer-encoding" || lower_name == "connection" ||
           lower_name == "keep-alive" || lower_name == "x-sr-peer-auth";
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The MAC of an answer: the request's mark, the URL, the status, the list of
// field names and every line of those fields, in order.
std::string response_mac(const std::string& key, std::string_view mark, const std::string& url, int status,
                         std::string_view names, const Headers& fields) {
    std::string lines;
    for (const auto& [n, v] : fields) {
        lines += lower(n);
        lines += ':';
        lines += v;
        lines += '\n';
    }
    std::string st = std::to_string(status);
    return hex_of(hmac_sha256(key, {"sr-peer-response\n", mark, "\n", url, "\n", st, "\n", names, "\n", lines}));
}

}  // namespace

void sign_peer_response(const std::string& key, std::string_view mark, const std::string& url, int status,
                        Headers& h) {
    std::string names;
    Headers covered;
    for (const auto& [n, v] : h) {
        std::string l = lower(n);
        if (framing_field(l)) continue;
        covered.emplace_back(n, v);
        if (("," + names + ",").find("," + l + ",") == std::string::npos) names += (names.empty() ? "" : ",") + l;
    }
    h.emplace_back("X-SR-Peer-Auth", "h=" + names + ";mac=" + response_mac(key, mark, url, status, names, covered));
}

std::optional<Headers> authentic_peer_response(const std::string& key, std::string_view mark, const std::string& url,
                                               int status, const Headers& received) {
    auto auth = get_header(received, "x-sr-peer-auth");
    if (!auth || auth->substr(0, 2) != "h=") return std::nullopt;
    auto semi = auth->find(";mac=");
    if (semi == std::string_view::npos) return std::nullopt;
    std::string_view names = auth->substr(2, semi - 2);
    std::string list = "," + std::string(names) + ",";
    Headers covered;
    for (const auto& [n, v] : received) {
        std::string l = lower(n);
        if (!framing_field(l) && list.find("," + l + ",") != std::string::npos) covered.emplace_back(n, v);
    }
    if (!same_secret(auth->substr(semi + 5), response_mac(key, mark, url, status, names, covered))) return std::nullopt;
    return covered;
}

bool record_authentic(const std::string& key, std::string_view ns, const Value& record) {
    if (!record.is_object()) return false;
    auto mac = record.find("mac");
    if (mac == record.end() || !mac->is_string()) return false;
    return same_secret(mac->get<std::string>(), hex_of(hmac_sha256(key, {signed_bytes(ns, record)})));
}

}  // namespace sr::cache
