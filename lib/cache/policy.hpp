// HTTP cache policy (RFC 9111, RFC 5861, ranges from RFC 9110 §14) as pure
// functions: the sans-IO core of sr-cached (DESIGN §2).
//
// Nothing here does I/O or reads a clock. Times are Unix seconds passed in by
// the caller: request_time (when the request to the origin was sent),
// response_time (when its response arrived) and now. Header fields are a
// plain ordered list of (name, value) pairs, as received; lookups are
// case-insensitive and several lines of one field are combined with ", ".
//
// Flow in the daemon: a response from the origin goes through storability()
// (store or not, and which fields to drop); strip_hop_by_hop() gives the
// fields to keep. A request that finds a stored response (same URI, and
// vary_matches()) asks reuse(): serve it, serve it stale while revalidating
// in the background, validate it first (conditional_request_headers()),
// or answer 504 (only-if-cached). A 304 answer is matched with
// validates_stored() and merged with update_from_304(). When the origin
// fails, may_serve_stale_on_error() decides on stale-if-error. After an
// unsafe method, invalidation_uris() names the URIs to drop. A Range
// request on a stored complete object goes through parse_range().
//
// Choices where the RFCs leave room (all for a SHARED cache by default):
// - A directive given twice: the first occurrence is used (§4.2.1 allows
//   "first occurrence" or "stale"; first is what most caches do).
// - A max-age / s-maxage whose value is not delta-seconds (negative,
//   non-numeric, missing): the response is treated as already stale
//   (lifetime 0), the most restrictive reading (§4.2.1 "considered stale").
//   Values too large saturate at 2^31 (§1.2.2). An invalid
//   stale-while-revalidate / stale-if-error / min-fresh / max-stale value
//   is ignored (no extra staleness allowed).
// - Quoted arguments ("max-age=\"60\"") are accepted (§5.2).
// - An invalid Expires (including "0") means already expired (§5.3).
//   Several Expires lines: the first is used.
// - private with field names: the response is stored without those fields
//   (§5.2.2.7); unqualified private: not stored.
// - no-cache with field names: the response may be reused without
//   validation, but without those fields (§5.2.2.4).
// - A 304 without any validator is taken to refer to the stored response
//   the conditional request was built from (we keep one per variant).
// - Vary: * never matches, so such responses are not stored at all.
// - Two-digit RFC 850 years: 00-69 → 20xx, 70-99 → 19xx (no clock here).
// - Age: the first member of a list (§5.1); a value that is not delta-seconds
//   (negative, fractional, with parameters) makes the response stale rather
//   than ignored: revalidating is the safe side.
// - A 304 never changes Content-Length, Content-Encoding, Content-MD5,
//   Content-Range or ETag of the stored response: they describe its body.
// - Status codes outside RFC 9110, 429 (RFC 6585) and 451 (RFC 7725) are not understood: with
//   must-understand such a response is not stored (§5.2.2.3).
// - Range: a malformed header or another unit is ignored (serve 200);
//   several ranges are reported NotSingle so the caller serves 200 whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sr::cache {

using Headers = std::vector<std::pair<std::string, std::string>>;

// ---- header helpers -------------------------------------------------------
bool iequals(std::string_view a, std::string_view b);
std::optional<std::string_view> get_header(const Headers& h, std::string_view name);  // first line
std::optional<std::string> get_combined(const Headers& h, std::string_view name);    // all lines, ", "
bool has_header(const Headers& h, std::string_view name);
void remove_header(Headers& h, std::string_view name);
void set_header(Headers& h, std::string_view name, std::string value);  // replaces every line

// ---- HTTP dates (RFC 9110 §5.6.7) ------------------------------------------
// IMF-fixdate, RFC 850 and asctime; nullopt when invalid.
std::optional<std::int64_t> parse_http_date(std::string_view s);
std::string format_http_date(std::int64_t t);  // IMF-fixdate

// ---- Cache-Control (RFC 9111 §5.2) -----------------------------------------
struct CacheControl {
    std::optional<std::int64_t> max_age;   // invalid value → 0
    std::optional<std::int64_t> s_maxage;  // invalid value → 0
    std::optional<std::int64_t> stale_while_revalidate, stale_if_error, min_fresh;
    bool max_stale = false;                          // present
    std::optional<std::int64_t> max_stale_seconds;  // absent: any staleness
    bool no_store = false, no_cache = false, private_ = false, public_ = false;  // no_cache/private_: unqualified
    bool must_revalidate = false, proxy_revalidate = false, only_if_cached = false;
    bool no_transform = false, immutable = false, must_understand = false;
    std::vector<std::string> no_cache_fields, private_fields;  // qualified forms, lower-case names
};
constexpr std::int64_t kDeltaMax = 2147483648;  // 2^31, §1.2.2

CacheControl parse_cache_control(std::string_view value);
CacheControl parse_cache_control(const Headers& h);  // every Cache-Control line

// ---- Surrogate-Control (W3C Edge Architecture 1.0) ----------------------------
// For surrogates (reverse proxies) only: max-age=N and no-store override
// Cache-Control for our own storage; directives targeted at a device
// (";name") are someone else's. The field is not passed on to clients.
struct SurrogateControl {
    bool present = false, no_store = false;
    std::optional<std::int64_t> max_age;
};
SurrogateControl parse_surrogate_control(const Headers& h);

// ---- storage (§3) -----------------------------------------------------------
struct Options {
    bool shared = true;
    bool surrogate = true;  // a reverse proxy for its origins: Surrogate-Control applies
    std::int64_t heuristic_cap = 86400;  // seconds; upper bound of a heuristic lifetime
    int heuristic_percent = 10;           // of (Date − Last-Modified), §4.2.2
};

bool heuristically_cacheable(int status);  // RFC 9110 §15.1
bool understood_status(int status);        // the codes this cache knows (for must-understand)

struct StoreDecision {
    bool store = false;
    std::string reason;                      // why not, for logs and tests
    std::vector<std::string> strip_fields;  // private="..." fields, lower-case
};
StoreDecision storability(std::string_view method, int status, const Headers& request, const Headers& response,
                          const Options& opt = {});

// Connection, the fields it names, and the other hop-by-hop fields removed.
Headers strip_hop_by_hop(const Headers& h);

// ---- freshness and age (§4.2) -----------------------------------------------
struct StoredResponse {
    int status = 200;
    Headers headers;
    std::int64_t request_time = 0;
    std::int64_t response_time = 0;
};

struct Freshness {
    std::int64_t lifetime = 0;
    bool heuristic = false;
};
Freshness freshness_lifetime(int status, const Headers& response, std::int64_t response_time,
                             const Options& opt = {});
std::int64_t current_age(const StoredResponse& r, std::int64_t now);

enum class Action {
    Serve,                    // use the stored response without contacting the origin
    ServeStaleAndRevalidate,  // stale-while-revalidate: serve now, validate in the background
    Validate,                 // send a conditional request first
    GatewayTimeout,           // only-if-cached and it cannot be served: answer 504
};
struct ReuseDecision {
    Action action = Action::Validate;
    bool stale = false;
    std::int64_t age = 0;       // the value for the Age header when served
    std::int64_t lifetime = 0;
    std::vector<std::string> strip_fields;  // no-cache="..." fields to omit when served
};
ReuseDecision reuse(const Headers& request, const StoredResponse& stored, std::int64_t now, const Options& opt = {});

// The origin failed (5xx or unreachable): may the stale stored response be used (RFC 5861 §4)?
bool may_serve_stale_on_error(const Headers& request, const StoredResponse& stored, std::int64_t now,
                              const Options& opt = {});

// ---- validation (§4.3) --------------------------------------------------------
Headers conditional_request_headers(const Headers& stored_response);  // If-None-Match, If-Modified-Since
bool validates_stored(const Headers& stored_response, const Headers& response_304);  // §4.3.4 selection
// Merge the 304's fields into the stored response (§3.2) and take its times.
void update_from_304(StoredResponse& stored, const Headers& response_304, std::int64_t request_time,
                     std::int64_t response_time);

// ---- invalidation (§4.4) ---------------------------------------------------------
bool is_safe_method(std::string_view method);
// request_uri is absolute (http://host[:port]/path). Returns the URIs to invalidate:
// the target URI, and Location / Content-Location when they share its origin.
std::vector<std::string> invalidation_uris(std::string_view method, int status, std::string_view request_uri,
                                           const Headers& response);
std::optional<std::string> resolve_reference(std::string_view base, std::string_view ref);
bool same_origin(std::string_view a, std::string_view b);

// ---- Vary (§4.1) ------------------------------------------------------------------
// Secondary key from the request fields the response varies on; nullopt for Vary: *.
std::optional<std::string> secondary_key(const Headers& response, const Headers& request);
bool vary_matches(const Headers& stored_response, const Headers& stored_request, const Headers& new_request);
// The request fields a response varies on, lower-case, without duplicates ("*" included if present).
std::vector<std::string> vary_fields(const Headers& response);

// ---- the client's own conditionals, answered from a stored response (RFC 9110 §13) ----
// If-None-Match (weak comparison), else If-Modified-Since against Last-Modified:
// true when a GET/HEAD may be answered 304.
bool not_modified(const Headers& request, const Headers& stored_response);
// If-Range: absent, or a strong ETag / the exact Last-Modified date of the stored
// response. When false the Range is ignored and the whole object is sent.
bool if_range_matches(const Headers& request, const Headers& stored_response);

// ---- ranges (RFC 9110 §14) ----------------------------------------------------------
struct ByteRange {
    std::uint64_t first = 0, last = 0;  // inclusive
};
enum class RangeKind { Ignore, Single, NotSingle, Unsatisfiable };
struct RangeResult {
    RangeKind kind = RangeKind::Ignore;
    ByteRange range;
};
RangeResult parse_range(std::string_view value, std::uint64_t length);
std::string content_range(const ByteRange& r, std::uint64_t length);  // "bytes 0-9/100"
std::string content_range_unsatisfied(std::uint64_t length);           // "bytes */100"

}  // namespace sr::cache
