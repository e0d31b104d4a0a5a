#include "cache/policy.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace sr::cache {

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = lower(c);
    return out;
}

// Split a comma-separated list, keeping commas inside quoted strings; empty elements dropped.
std::vector<std::string_view> split_list(std::string_view s) {
    std::vector<std::string_view> out;
    size_t start = 0;
    bool quoted = false;
    for (size_t i = 0; i <= s.size(); ++i) {
        if (i < s.size()) {
            char c = s[i];
            if (quoted && c == '\\') { ++i; continue; }
            if (c == '"') { quoted = !quoted; continue; }
            if (c != ',' || quoted) continue;
        }
        auto e = trim(s.substr(start, i - start));
        if (!e.empty()) out.push_back(e);
        start = i + 1;
    }
    return out;
}

std::string unquote(std::string_view v) {
    if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
        if (v[i] == '\\' && i + 2 < v.size()) ++i;
        out += v[i];
    }
    return out;
}

// delta-seconds (§1.2.2): 1*DIGIT, saturating at 2^31; nullopt when invalid.
std::optional<std::int64_t> parse_delta(std::string_view v) {
    if (v.empty()) return std::nullopt;
    std::int64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = std::min<std::int64_t>(n * 10 + (c - '0'), kDeltaMax);
    }
    return n;
}

std::vector<std::string> field_names(std::string_view v) {
    std::vector<std::string> out;
    for (auto e : split_list(v)) out.push_back(to_lower(e));
    return out;
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
const char* const kLongDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

int month_index(std::string_view m) {
    for (int i = 0; i < 12; ++i)
        if (m == kMonths[i]) return i + 1;
    return 0;
}

bool digits(std::string_view s, size_t n, int& out) {
    if (s.size() != n) return false;
    out = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + (c - '0');
    }
    return true;
}

// "HH:MM:SS"
bool parse_time(std::string_view s, int& h, int& m, int& sec) {
    return s.size() == 8 && s[2] == ':' && s[5] == ':' && digits(s.substr(0, 2), 2, h) &&
           digits(s.substr(3, 2), 2, m) && digits(s.substr(6, 2), 2, sec) && h < 24 && m < 60 && sec <= 60;
}

std::optional<std::int64_t> make_time(int y, int mon, int d, int h, int m, int s) {
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mon < 1 || mon > 12 || d < 1 || d > mdays[mon - 1]) return std::nullopt;
    return days_from_civil(y, static_cast<unsigned>(mon), static_cast<unsigned>(d)) * 86400 + h * 3600 + m * 60 + s;
}

std::vector<std::string_view> split_spaces(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        size_t j = i;
        while (j < s.size() && s[j] != ' ') ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

bool in(std::string_view v, const char* const* list, int n) {
    for (int i = 0; i < n; ++i)
        if (v == list[i]) return true;
    return false;
}

std::optional<std::int64_t> header_date(const Headers& h, std::string_view name) {
    auto v = get_header(h, name);
    if (!v) return std::nullopt;
    return parse_http_date(*v);
}

bool contains(const std::vector<std::string>& v, std::string_view x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

// ---- header helpers -------------------------------------------------------

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::optional<std::string_view> get_header(const Headers& h, std::string_view name) {
    for (auto& [n, v] : h)
        if (iequals(n, name)) return trim(v);
    return std::nullopt;
}

std::optional<std::string> get_combined(const Headers& h, std::string_view name) {
    std::optional<std::string> out;
    for (auto& [n, v] : h) {
        if (!iequals(n, name)) continue;
        if (out) *out += ", ";
        else out.emplace();
        *out += trim(v);
    }
    return out;
}

bool has_header(const Headers& h, std::string_view name) { return get_header(h, name).has_value(); }

void remove_header(Headers& h, std::string_view name) {
    std::erase_if(h, [&](const auto& p) { return iequals(p.first, name); });
}

void set_header(Headers& h, std::string_view name, std::string value) {
    remove_header(h, name);
    h.emplace_back(std::string(name), std::move(value));
}

// ---- dates -------------------------------------------------------------------

std::optional<std::int64_t> parse_http_date(std::string_view s) {
    s = trim(s);
    auto w = split_spaces(s);
    int y = 0, d = 0, h = 0, m = 0, sec = 0;
    if (w.size() == 6 && w[0].size() == 4 && w[0][3] == ',' && in(w[0].substr(0, 3), kDays, 7) && w[5] == "GMT") {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        int mon = month_index(w[2]);
        if (!digits(w[1], 2, d) || !mon || !digits(w[3], 4, y) || !parse_time(w[4], h, m, sec)) return std::nullopt;
        return make_time(y, mon, d, h, m, sec);
    }
    if (w.size() == 4 && !w[0].empty() && w[0].back() == ',' &&
        in(w[0].substr(0, w[0].size() - 1), kLongDays, 7) && w[3] == "GMT") {
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        auto dt = w[1];
        if (dt.size() != 9 || dt[2] != '-' || dt[6] != '-') return std::nullopt;
        int mon = month_index(dt.substr(3, 3));
        if (!digits(dt.substr(0, 2), 2, d) || !mon || !digits(dt.substr(7, 2), 2, y) || !parse_time(w[2], h, m, sec))
            return std::nullopt;
        y += y < 70 ? 2000 : 1900;
        return make_time(y, mon, d, h, m, sec);
    }
    if (w.size() == 5 && in(w[0], kDays, 7)) {
        // asctime: Sun Nov  6 08:49:37 1994
        int mon = month_index(w[1]);
        if (!mon || !(digits(w[2], 1, d) || digits(w[2], 2, d)) || !parse_time(w[3], h, m, sec) ||
            !digits(w[4], 4, y))
            return std::nullopt;
        return make_time(y, mon, d, h, m, sec);
    }
    return std::nullopt;
}

std::string format_http_date(std::int64_t t) {
    std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    std::int64_t secs = t - days * 86400;
    // civil_from_days
    std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned mon = mp < 10 ? mp + 3 : mp - 9;
    y += mon <= 2;
    int wd = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02d:%02d:%02d GMT", kDays[wd], d, kMonths[mon - 1],
                  static_cast<long long>(y), static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                  static_cast<int>(secs % 60));
    return buf;
}

// ---- Cache-Control -------------------------------------------------------------

CacheControl parse_cache_control(std::string_view value) {
    CacheControl cc;
    bool seen_max_age = false, seen_s_maxage = false, seen_swr = false, seen_sie = false, seen_min_fresh = false,
         seen_max_stale = false;
    for (auto e : split_list(value)) {
        auto eq = e.find('=');
        std::string name = to_lower(trim(e.substr(0, eq)));
        std::optional<std::string> arg;
        if (eq != std::string_view::npos) arg = unquote(trim(e.substr(eq + 1)));
        auto delta = [&]() { return arg ? parse_delta(*arg) : std::nullopt; };
        if (name == "max-age") {
            if (!seen_max_age) cc.max_age = delta().value_or(0);
            seen_max_age = true;
        } else if (name == "s-maxage") {
            if (!seen_s_maxage) cc.s_maxage = delta().value_or(0);
            seen_s_maxage = true;
        } else if (name == "stale-while-revalidate") {
            if (!seen_swr) cc.stale_while_revalidate = delta();
            seen_swr = true;
        } else if (name == "stale-if-error") {
            if (!seen_sie) cc.stale_if_error = delta();
            seen_sie = true;
        } else if (name == "min-fresh") {
            if (!seen_min_fresh) cc.min_fresh = delta();
            seen_min_fresh = true;
        } else if (name == "max-stale") {
            if (!seen_max_stale) {
                if (!arg) cc.max_stale = true;
                else if (auto d = delta()) cc.max_stale = true, cc.max_stale_seconds = d;
            }
            seen_max_stale = true;
        } else if (name == "no-store") {
            cc.no_store = true;
        } else if (name == "no-cache") {
            if (arg && !field_names(*arg).empty())
                for (auto& f : field_names(*arg)) cc.no_cache_fields.push_back(f);
            else
                cc.no_cache = true;
        } else if (name == "private") {
            if (arg && !field_names(*arg).empty())
                for (auto& f : field_names(*arg)) cc.private_fields.push_back(f);
            else
                cc.private_ = true;
        } else if (name == "public") {
            cc.public_ = true;
        } else if (name == "must-revalidate") {
            cc.must_revalidate = true;
        } else if (name == "proxy-revalidate") {
            cc.proxy_revalidate = true;
        } else if (name == "only-if-cached") {
            cc.only_if_cached = true;
        } else if (name == "no-transform") {
            cc.no_transform = true;
        } else if (name == "immutable") {
            cc.immutable = true;
        } else if (name == "must-understand") {
            cc.must_understand = true;
        }
    }
    return cc;
}

CacheControl parse_cache_control(const Headers& h) {
    return parse_cache_control(get_combined(h, "Cache-Control").value_or(""));
}

// ---- storage ------------------------------------------------------------------------

bool understood_status(int status) {
    switch (status) {  // RFC 9110 §15, plus 429 (RFC 6585) and 451 (RFC 7725)
    case 200: case 201: case 202: case 203: case 204: case 205: case 206:
    case 300: case 301: case 302: case 303: case 304: case 305: case 307: case 308:
    case 400: case 401: case 402: case 403: case 404: case 405: case 406: case 407: case 408: case 409:
    case 410: case 411: case 412: case 413: case 414: case 415: case 416: case 417: case 421: case 422:
    case 426: case 429: case 451:
    case 500: case 501: case 502: case 503: case 504: case 505:
        return true;
    default:
        return false;
    }
}

bool heuristically_cacheable(int status) {
    switch (status) {
    case 200: case 203: case 204: case 206: case 300: case 301: case 308:
    case 404: case 405: case 410: case 414: case 501:
        return true;
    default:
        return false;
    }
}

SurrogateControl parse_surrogate_control(const Headers& h) {
    SurrogateControl sc;
    auto v = get_combined(h, "Surrogate-Control");
    if (!v) return sc;
    sc.present = true;
    for (auto d : split_list(*v)) {
        if (d.find(';') != std::string_view::npos) continue;  // targeted at another device
        std::string low = to_lower(d);
        if (low == "no-store") sc.no_store = true;
        else if (low.rfind("max-age=", 0) == 0 && !sc.max_age) sc.max_age = parse_delta(std::string_view(low).substr(8));
    }
    return sc;
}

StoreDecision storability(std::string_view method, int status, const Headers& request, const Headers& response,
                          const Options& opt) {
    StoreDecision d;
    auto no = [&](std::string why) {
        d.store = false;
        d.reason = std::move(why);
        d.strip_fields.clear();
        return d;
    };
    if (method != "GET" && method != "HEAD") return no("method");
    if (status < 200 || status > 599) return no("status");
    if (status == 206) return no("partial");
    if (status == 304) return no("not-modified");
    auto rq = parse_cache_control(request);
    auto rs = parse_cache_control(response);
    // §5.2.2.3: must-understand stores only status codes the cache understands, and then overrides no-store.
    if (rs.must_understand && !understood_status(status)) return no("must-understand");
    auto sc = opt.surrogate ? parse_surrogate_control(response) : SurrogateControl{};
    if (sc.no_store) return no("surrogate no-store");
    bool surrogate_fresh = sc.max_age.has_value();  // the origin told its surrogates to keep it
    if (rq.no_store || (rs.no_store && !rs.must_understand && !surrogate_fresh)) return no("no-store");
    if (opt.shared && rs.private_ && !surrogate_fresh) return no("private");
    if (opt.shared && has_header(request, "Authorization") && !(rs.public_ || rs.must_revalidate || rs.s_maxage))
        return no("authorization");
    if (auto vary = get_combined(response, "Vary"))
        for (auto f : split_list(*vary))
            if (f == "*") return no("vary-star");
    bool explicit_ok = surrogate_fresh || rs.public_ || rs.max_age || (opt.shared && rs.s_maxage) || has_header(response, "Expires");
    if (!explicit_ok && !heuristically_cacheable(status)) return no("not-cacheable-status");
    d.store = true;
    if (opt.shared) d.strip_fields = rs.private_fields;
    return d;
}

Headers strip_hop_by_hop(const Headers& h) {
    std::vector<std::string> drop = {"connection",    "keep-alive",         "proxy-connection",
                                     "te",            "transfer-encoding",  "upgrade",
                                     "proxy-authenticate", "proxy-authentication-info", "proxy-authorization",
                                     "trailer"};
    if (auto c = get_combined(h, "Connection"))
        for (auto& f : field_names(*c)) drop.push_back(f);
    Headers out;
    for (auto& p : h)
        if (!contains(drop, to_lower(p.first))) out.push_back(p);
    return out;
}

// ---- freshness and age -----------------------------------------------------------------

Freshness freshness_lifetime(int status, const Headers& response, std::int64_t response_time, const Options& opt) {
    if (opt.surrogate)
        if (auto sc = parse_surrogate_control(response); sc.max_age) return {*sc.max_age, false};
    auto cc = parse_cache_control(response);
    if (opt.shared && cc.s_maxage) return {*cc.s_maxage, false};
    if (cc.max_age) return {*cc.max_age, false};
    std::int64_t date = header_date(response, "Date").value_or(response_time);
    if (has_header(response, "Expires")) {
        auto exp = header_date(response, "Expires");
        if (!exp) return {0, false};  // invalid: already expired (§5.3)
        return {std::max<std::int64_t>(0, *exp - date), false};
    }
    auto lm = header_date(response, "Last-Modified");
    if (lm && (heuristically_cacheable(status) || cc.public_)) {
        std::int64_t l = std::max<std::int64_t>(0, date - *lm) * opt.heuristic_percent / 100;
        return {std::min(l, opt.heuristic_cap), true};
    }
    return {0, false};
}

std::int64_t current_age(const StoredResponse& r, std::int64_t now) {
    std::int64_t date = header_date(r.headers, "Date").value_or(r.response_time);
    std::int64_t age_value = 0;
    if (auto a = get_header(r.headers, "Age")) {
        // §5.1: the first member of a list; anything but delta-seconds makes the
        // response count as stale (the safe reading of "invalid").
        auto first = split_list(*a);
        auto v = first.empty() ? std::nullopt : parse_delta(first.front());
        age_value = v ? *v : kDeltaMax;
    }
    std::int64_t apparent_age = std::max<std::int64_t>(0, r.response_time - date);
    std::int64_t response_delay = std::max<std::int64_t>(0, r.response_time - r.request_time);
    std::int64_t corrected_age_value = age_value + response_delay;
    std::int64_t corrected_initial_age = std::max(apparent_age, corrected_age_value);
    std::int64_t resident_time = std::max<std::int64_t>(0, now - r.response_time);
    return corrected_initial_age + resident_time;
}

namespace {
struct Ctx {
    CacheControl rq, rs;
    Freshness fr;
    std::int64_t age;
    bool stale_forbidden;
};
Ctx context(const Headers& request, const StoredResponse& stored, std::int64_t now, const Options& opt) {
    Ctx c;
    c.rq = parse_cache_control(request);
    if (!has_header(request, "Cache-Control"))
        if (auto p = get_combined(request, "Pragma"))
            for (auto e : split_list(*p))
                if (iequals(e, "no-cache")) c.rq.no_cache = true;
    c.rs = parse_cache_control(stored.headers);
    c.fr = freshness_lifetime(stored.status, stored.headers, stored.response_time, opt);
    c.age = current_age(stored, now);
    c.stale_forbidden = c.rs.no_cache || c.rs.must_revalidate || (opt.shared && (c.rs.proxy_revalidate || c.rs.s_maxage));
    return c;
}
}  // namespace

ReuseDecision reuse(const Headers& request, const StoredResponse& stored, std::int64_t now, const Options& opt) {
    auto c = context(request, stored, now, opt);
    ReuseDecision d;
    d.age = c.age;
    d.lifetime = c.fr.lifetime;
    d.strip_fields = c.rs.no_cache_fields;
    bool fresh = c.fr.lifetime > c.age;
    std::int64_t staleness = c.age - c.fr.lifetime;
    auto decide = [&]() {
        if (c.rs.no_cache || c.rq.no_cache) return Action::Validate;
        if (c.rq.max_age && c.age > *c.rq.max_age) return Action::Validate;
        if (fresh) {
            if (c.rq.min_fresh && c.fr.lifetime - c.age < *c.rq.min_fresh) return Action::Validate;
            return Action::Serve;
        }
        d.stale = true;
        if (c.stale_forbidden) return Action::Validate;
        if (c.rq.max_stale && (!c.rq.max_stale_seconds || staleness <= *c.rq.max_stale_seconds)) return Action::Serve;
        if (c.rs.stale_while_revalidate && staleness <= *c.rs.stale_while_revalidate)
            return Action::ServeStaleAndRevalidate;
        return Action::Validate;
    };
    d.action = decide();
    if (d.action == Action::Validate && c.rq.only_if_cached) d.action = Action::GatewayTimeout;
    return d;
}

bool may_serve_stale_on_error(const Headers& request, const StoredResponse& stored, std::int64_t now,
                              const Options& opt) {
    auto c = context(request, stored, now, opt);
    if (c.stale_forbidden) return false;
    if (c.fr.lifetime > c.age) return true;
    std::int64_t staleness = c.age - c.fr.lifetime;
    std::optional<std::int64_t> window = c.rs.stale_if_error;
    if (c.rq.stale_if_error) window = std::max(window.value_or(0), *c.rq.stale_if_error);
    return window && staleness <= *window;
}

// ---- validation --------------------------------------------------------------------------

Headers conditional_request_headers(const Headers& stored_response) {
    Headers out;
    if (auto etag = get_header(stored_response, "ETag"); etag && !etag->empty())
        out.emplace_back("If-None-Match", std::string(*etag));
    if (auto lm = get_header(stored_response, "Last-Modified"); lm && parse_http_date(*lm))
        out.emplace_back("If-Modified-Since", std::string(*lm));
    return out;
}

namespace {
bool weak_tag(std::string_view t) { return t.size() >= 2 && t[0] == 'W' && t[1] == '/'; }
std::string_view opaque(std::string_view t) { return weak_tag(t) ? t.substr(2) : t; }
}  // namespace

bool validates_stored(const Headers& stored, const Headers& r304) {
    auto new_tag = get_header(r304, "ETag");
    auto old_tag = get_header(stored, "ETag");
    if (new_tag) {
        if (!old_tag) return false;
        if (!weak_tag(*new_tag)) return !weak_tag(*old_tag) && *new_tag == *old_tag;
        return opaque(*new_tag) == opaque(*old_tag);
    }
    if (auto new_lm = header_date(r304, "Last-Modified")) {
        auto old_lm = header_date(stored, "Last-Modified");
        return old_lm && *old_lm == *new_lm;
    }
    return true;  // no validator: the response the conditional request came from (see header)
}

void update_from_304(StoredResponse& stored, const Headers& r304, std::int64_t request_time,
                     std::int64_t response_time) {
    Headers fresh = strip_hop_by_hop(r304);
    std::vector<std::string> replaced;
    for (auto& [n, v] : fresh) {
        std::string ln = to_lower(n);
        // Fields that describe the stored representation itself keep their stored values.
        if (ln == "content-length" || ln == "content-encoding" || ln == "content-md5" || ln == "content-range" ||
            ln == "etag")
            continue;
        if (!contains(replaced, ln)) {
            remove_header(stored.headers, ln);
            replaced.push_back(ln);
        }
        stored.headers.emplace_back(n, v);
    }
    stored.request_time = request_time;
    stored.response_time = response_time;
}

// ---- invalidation -------------------------------------------------------------------------

bool is_safe_method(std::string_view m) { return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE"; }

namespace {
struct Uri {
    std::string scheme, host, port, path;  // path includes query
};
std::optional<Uri> split_uri(std::string_view s) {
    auto p = s.find("://");
    if (p == std::string_view::npos || p == 0) return std::nullopt;
    Uri u;
    u.scheme = to_lower(s.substr(0, p));
    auto rest = s.substr(p + 3);
    auto slash = rest.find_first_of("/?#");
    auto auth = rest.substr(0, slash);
    if (auto at = auth.rfind('@'); at != std::string_view::npos) auth = auth.substr(at + 1);
    auto colon = auth.rfind(':');
    if (colon != std::string_view::npos && auth.find(']', colon) == std::string_view::npos) {
        u.host = to_lower(auth.substr(0, colon));
        u.port = std::string(auth.substr(colon + 1));
    } else {
        u.host = to_lower(auth);
    }
    if (u.host.empty()) return std::nullopt;
    if (u.port.empty()) u.port = u.scheme == "https" ? "443" : u.scheme == "http" ? "80" : "";
    u.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (u.path.empty() || u.path[0] != '/') u.path = "/" + u.path;
    if (auto h = u.path.find('#'); h != std::string::npos) u.path.resize(h);
    return u;
}
std::string origin_prefix(const Uri& u) {
    bool def = (u.scheme == "http" && u.port == "80") || (u.scheme == "https" && u.port == "443");
    return u.scheme + "://" + u.host + (def ? "" : ":" + u.port);
}
}  // namespace

std::optional<std::string> resolve_reference(std::string_view base, std::string_view ref) {
    ref = trim(ref);
    if (auto h = ref.find('#'); h != std::string_view::npos) ref = ref.substr(0, h);
    auto b = split_uri(base);
    if (!b) return std::nullopt;
    auto colon = ref.find(':');
    if (colon != std::string_view::npos && ref.find_first_of("/?") > colon) {
        auto u = split_uri(ref);
        if (!u) return std::nullopt;
        return origin_prefix(*u) + u->path;
    }
    if (ref.starts_with("//")) return resolve_reference(base, b->scheme + ":" + std::string(ref));
    if (ref.empty()) return origin_prefix(*b) + b->path;
    if (ref[0] == '/') return origin_prefix(*b) + std::string(ref);
    std::string path = b->path.substr(0, b->path.find('?'));
    if (ref[0] == '?') return origin_prefix(*b) + path + std::string(ref);
    path.resize(path.rfind('/') + 1);
    return origin_prefix(*b) + path + std::string(ref);
}

bool same_origin(std::string_view a, std::string_view b) {
    auto x = split_uri(a), y = split_uri(b);
    return x && y && x->scheme == y->scheme && x->host == y->host && x->port == y->port;
}

std::vector<std::string> invalidation_uris(std::string_view method, int status, std::string_view request_uri,
                                           const Headers& response) {
    std::vector<std::string> out;
    if (is_safe_method(method) || status < 200 || status >= 400) return out;
    out.emplace_back(request_uri);
    for (auto name : {"Location", "Content-Location"}) {
        auto v = get_header(response, name);
        if (!v) continue;
        auto r = resolve_reference(request_uri, *v);
        if (r && same_origin(request_uri, *r) && !contains(out, *r)) out.push_back(*r);
    }
    return out;
}

// ---- Vary ----------------------------------------------------------------------------------

std::optional<std::string> secondary_key(const Headers& response, const Headers& request) {
    std::vector<std::string> names;
    if (auto vary = get_combined(response, "Vary"))
        for (auto f : split_list(*vary)) {
            if (f == "*") return std::nullopt;
            auto n = to_lower(f);
            if (!contains(names, n)) names.push_back(n);
        }
    std::sort(names.begin(), names.end());
    std::string key;
    for (auto& n : names) {
        key += n;
        auto v = get_combined(request, n);
        if (!v) {
            key += "\n";  // absent differs from empty
            continue;
        }
        key += ":";
        // Normalise: list elements trimmed and joined with ",", inner whitespace runs collapsed.
        bool first = true;
        for (auto e : split_list(*v)) {
            if (!first) key += ',';
            first = false;
            bool space = false;
            for (char c : e) {
                if (is_ows(c)) space = true;
                else {
                    if (space) key += ' ';
                    space = false;
                    key += c;
                }
            }
        }
        key += "\n";
    }
    return key;
}

std::vector<std::string> vary_fields(const Headers& response) {
    std::vector<std::string> names;
    if (auto vary = get_combined(response, "Vary"))
        for (auto f : split_list(*vary)) {
            auto n = to_lower(f);
            if (!n.empty() && !contains(names, n)) names.push_back(n);
        }
    return names;
}

namespace {
std::string_view opaque_tag(std::string_view tag, bool& weak) {
    weak = tag.size() >= 2 && tag[0] == 'W' && tag[1] == '/';
    if (weak) tag.remove_prefix(2);
    return tag;
}
}  // namespace

bool not_modified(const Headers& request, const Headers& stored_response) {
    if (auto inm = get_combined(request, "If-None-Match")) {
        auto etag = get_header(stored_response, "ETag");
        if (!etag) return false;
        bool weak = false;
        auto ours = opaque_tag(trim(*etag), weak);
        for (auto t : split_list(*inm)) {
            if (t == "*") return true;
            if (opaque_tag(t, weak) == ours) return true;  // weak comparison (§13.1.2)
        }
        return false;  // If-None-Match present: If-Modified-Since is ignored
    }
    auto ims = get_header(request, "If-Modified-Since");
    auto lm = get_header(stored_response, "Last-Modified");
    if (!ims || !lm) return false;
    auto a = parse_http_date(*ims), b = parse_http_date(*lm);
    return a && b && *b <= *a;
}

bool if_range_matches(const Headers& request, const Headers& stored_response) {
    auto ir = get_header(request, "If-Range");
    if (!ir) return true;
    auto v = trim(*ir);
    if (!v.empty() && (v[0] == '"' || v.substr(0, 2) == "W/")) {
        auto etag = get_header(stored_response, "ETag");
        // Strong comparison: a weak tag on either side never matches.
        return etag && v[0] == '"' && trim(*etag) == v;
    }
    auto lm = get_header(stored_response, "Last-Modified");
    return lm && trim(*lm) == v;
}

bool vary_matches(const Headers& stored_response, const Headers& stored_request, const Headers& new_request) {
    auto a = secondary_key(stored_response, stored_request);
    auto b = secondary_key(stored_response, new_request);
    return a && b && *a == *b;
}

// ---- ranges -----------------------------------------------------------------------------------

namespace {
std::optional<std::uint64_t> parse_u64(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
    }
    return n;
}
}  // namespace

RangeResult parse_range(std::string_view value, std::uint64_t length) {
    RangeResult ignore;
    value = trim(value);
    auto eq = value.find('=');
    if (eq == std::string_view::npos || !iequals(trim(value.substr(0, eq)), "bytes")) return ignore;
    auto specs = split_list(value.substr(eq + 1));
    if (specs.empty()) return ignore;
    std::vector<RangeResult> parsed;
    for (auto s : specs) {
        auto dash = s.find('-');
        if (dash == std::string_view::npos) return ignore;
        auto a = s.substr(0, dash), b = s.substr(dash + 1);
        RangeResult r;
        if (a.empty()) {  // suffix
            auto n = parse_u64(b);
            if (!n) return ignore;
            if (*n == 0 || length == 0) r.kind = RangeKind::Unsatisfiable;
            else r = {RangeKind::Single, {length - std::min(*n, length), length - 1}};
        } else {
            auto first = parse_u64(a);
            if (!first) return ignore;
            std::uint64_t last = UINT64_MAX;
            if (!b.empty()) {
                auto l = parse_u64(b);
                if (!l || *l < *first) return ignore;
                last = *l;
            }
            if (*first >= length) r.kind = RangeKind::Unsatisfiable;
            else r = {RangeKind::Single, {*first, std::min(last, length - 1)}};
        }
        parsed.push_back(r);
    }
    if (parsed.size() > 1) return {RangeKind::NotSingle, {}};
    return parsed.front();
}

std::string content_range(const ByteRange& r, std::uint64_t length) {
    return "bytes " + std::to_string(r.first) + "-" + std::to_string(r.last) + "/" + std::to_string(length);
}

std::string content_range_unsatisfied(std::uint64_t length) { return "bytes */" + std::to_string(length); }

}  // namespace sr::cache
