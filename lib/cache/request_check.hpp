// What sr-cached refuses in a client's request before anything of it goes
// upstream (sans-IO: headers and target in, a verdict out).
//
// Framing (RFC 9112 §6, request smuggling). evhttp parses a request before
// our callback sees it, leniently: a field name with whitespace before the
// colon is kept as a different name ("Transfer-Encoding "), the first of two
// Content-Length fields wins, strtoll takes "+3", a Transfer-Encoding other
// than exactly "chunked" is ignored, and HEAD never has a body. Each of
// these lets a front proxy or a back-end read the message boundaries
// differently from us. The check therefore accepts only requests whose
// framing every reader must agree on, and the caller answers anything else
// with 400 and closes the connection (what follows on it is unframed).
//
// Control bytes (RFC 9110 §5.5, RFC 9112 §2.2, §3.2). evhttp refuses a bare
// CR or LF in a field value itself, but keeps every other control byte (and
// DEL) in a value, and any byte but SP in the request target, bare CR
// included; the upstream client would write them out verbatim, and a lenient
// origin may take a CR, VT or FF for the end of a line. A value with a byte
// below 0x20 other than HTAB, or 0x7f, is refused with the framing; a target
// with a control byte or a space is refused before routing. (A NUL cannot be
// seen: evhttp keeps C strings, so a value ends at its first NUL and the rest
// of that line is dropped, never forwarded.)
//
// Targets (RFC 3986 §5.2.4, route path traversal). Dot-segments, written
// plainly or percent-encoded (%2e), are removed before the route's prefix
// is matched and before the URL becomes the cache key, so /img/../admin is
// /admin for routing, keying and the origin alike. A path that would climb
// above the root, and paths with an encoded slash (%2f), an encoded or plain
// backslash (%5c, \) or an encoded NUL (%00), are refused: origins differ on
// whether these separate segments, so no prefix match on them is safe.
#pragma once

#include "cache/policy.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace sr::cache {

struct Refusal {
    int status = 400;
    std::string why;  // one line for the client and the log
};

// method: the request's method name ("GET", …). nullopt: framing is sound
// and no field value holds a control byte. With a target, it is checked too
// (check_target).
std::optional<Refusal> check_framing(const Headers& h, std::string_view method);
std::optional<Refusal> check_framing(const Headers& h, std::string_view method, std::string_view target);

// RFC 9110 §5.5 field-value: VCHAR, obs-text, SP and HTAB; no other byte
// below 0x20 (CR, LF, NUL among them), no DEL.
bool valid_field_value(std::string_view v);
// A request target with no control byte (below 0x20, or DEL) and no space: 400 otherwise.
std::optional<Refusal> check_target(std::string_view target);

// The origin-form target (path[?query]) with its path's dot-segments
// removed, or a Refusal (check_target's among them). Only the path is touched; the query is kept as it came.
struct NormalisedTarget {
    std::string target;
    std::optional<Refusal> refusal;
};
NormalisedTarget normalise_target(std::string_view target);

// True when path (no query) has a dot-segment, plain or percent-encoded.
bool has_dot_segment(std::string_view path);

}  // namespace sr::cache
