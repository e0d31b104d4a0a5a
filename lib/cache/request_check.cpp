// The request checks (why each rule exists: request_check.hpp).
#include "cache/request_check.hpp"

#include <cctype>
#include <vector>

namespace sr::cache {

namespace {

// RFC 9110 §5.6.2 tchar.
bool tchar(unsigned char c) {
    if (std::isalnum(c)) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
        case '^': case '_': case '`': case '|': case '~':
            return true;
        default:
            return false;
    }
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (!tchar(c)) return false;
    return true;
}

std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s.substr(0, 64)) {
        if (c >= 0x21 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

Refusal bad(std::string why) { return Refusal{400, std::move(why)}; }

bool iequals_at(std::string_view s, std::size_t i, std::string_view lower) {
    if (i + lower.size() > s.size()) return false;
    for (std::size_t k = 0; k < lower.size(); ++k)
        if (std::tolower(static_cast<unsigned char>(s[i + k])) != lower[k]) return false;
    return true;
}

// "." or "..", with any of the dots written %2e.
int dots(std::string_view seg) {
    int n = 0;
    for (std::size_t i = 0; i < seg.size();) {
        if (seg[i] == '.') ++i;
        else if (iequals_at(seg, i, "%2e")) i += 3;
        else return 0;
        if (++n > 2) return 0;
    }
    return n;
}

bool control(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

bool valid_field_value(std::string_view v) {
    for (unsigned char c : v)
        if (control(c) && c != '\t') return false;
    return true;
}

std::optional<Refusal> check_target(std::string_view target) {
    for (unsigned char c : target) {
        if (c == ' ') return bad("a space in the request target");
        if (control(c)) return bad("a control byte in the request target: \"" + printable(target) + "\"");
    }
    return std::nullopt;
}

std::optional<Refusal> check_framing(const Headers& h, std::string_view method, std::string_view target) {
    if (auto r = check_target(target)) return r;
    return check_framing(h, method);
}

std::optional<Refusal> check_framing(const Headers& h, std::string_view method) {
    std::optional<std::string> length;
    std::vector<std::string_view> codings;
    std::size_t te_fields = 0;
    std::string_view te_raw;  // as evhttp holds it: it compares it with "chunked" untrimmed
    for (const auto& [name, value] : h) {
        // A name evhttp kept with whitespace ("Transfer-Encoding ") is not the
        // field we check, yet a lenient reader downstream may take it for it.
        if (!is_token(name)) return bad("the field name \"" + printable(name) + "\" is not a token");
        // A CR, VT or FF that a lenient reader downstream takes for a line's end.
        if (!valid_field_value(value))
            return bad("a control byte in the value of " + printable(name) + ": \"" + printable(value) + "\"");
        if (iequals(name, "content-length")) {
            std::string_view v = value;
            if (v.empty() || v.size() > 18)
                return bad("Content-Length \"" + printable(value) + "\" is not a length");
            for (char c : v)
                if (c < '0' || c > '9') return bad("Content-Length \"" + printable(value) + "\" is not a length");
            if (length && *length != v) return bad("two Content-Length fields with different values");
            length = std::string(v);
        } else if (iequals(name, "transfer-encoding")) {
            ++te_fields;
            te_raw = value;
            std::string_view rest = value;
            for (;;) {
                auto comma = rest.find(',');
                codings.push_back(trim_ows(rest.substr(0, comma)));
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        }
    }
    bool head = method == "HEAD" || method == "TRACE";  // evhttp reads no body for these
    if (te_fields > 0) {
        if (length) return bad("both Transfer-Encoding and Content-Length");
        if (head) return bad("a " + std::string(method) + " request with a body");
        // evhttp de-chunks only when the one field is exactly "chunked".
        if (te_fields == 1 && iequals(te_raw, "chunked"))
            return std::nullopt;
        if (!codings.empty() && iequals(codings.back(), "chunked"))
            return Refusal{501, "only the chunked transfer coding is implemented"};
        return bad("Transfer-Encoding without chunked as the final coding");
    }
    if (head && length && *length != std::string(length->size(), '0'))
        return bad("a " + std::string(method) + " request with a body");
    return std::nullopt;
}

bool has_dot_segment(std::string_view path) {
    std::size_t i = 0;
    while (i <= path.size()) {
        auto slash = path.find('/', i);
        std::string_view seg = path.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
        if (dots(seg)) return true;
        if (slash == std::string_view::npos) break;
        i = slash + 1;
    }
    return false;
}

NormalisedTarget normalise_target(std::string_view target) {
    NormalisedTarget out;
    if (auto r = check_target(target)) {
        out.refusal = std::move(r);
        return out;
    }
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q);
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '\\' || iequals_at(path, i, "%5c")) {
            out.refusal = bad("a backslash in the path");
            return out;
        }
        if (iequals_at(path, i, "%2f")) {
            out.refusal = bad("an encoded slash (%2f) in the path");
            return out;
        }
        if (iequals_at(path, i, "%00")) {
            out.refusal = bad("an encoded NUL (%00) in the path");
            return out;
        }
    }
    if (path.empty() || path.front() != '/' || !has_dot_segment(path)) {
        out.target = std::string(target);
        return out;
    }
    // RFC 3986 §5.2.4 on the segments after the leading '/'.
    std::vector<std::string_view> kept;
    bool trailing = false;  // the path ended in a dot-segment: it names a directory
    std::size_t i = 1;
    for (;;) {
        auto slash = path.find('/', i);
        std::string_view seg = path.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
        bool last = slash == std::string_view::npos;
        int d = dots(seg);
        if (d == 2) {
            if (kept.empty()) {
                out.refusal = bad("the path climbs above the root");
                return out;
            }
            kept.pop_back();
        } else if (d == 0) {
            kept.push_back(seg);
        }
        if (last) {
            trailing = d != 0;
            break;
        }
        i = slash + 1;
    }
    std::string p;
    for (auto seg : kept) {
        p += '/';
        p += seg;
    }
    if (p.empty() || trailing) p += '/';
    out.target = p + std::string(query);
    return out;
}

}  // namespace sr::cache
