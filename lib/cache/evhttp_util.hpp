// Small bridges between evhttp's request objects and the policy's Headers.
#pragma once

#include "cache/policy.hpp"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <ctime>

namespace sr::cache {

inline Headers input_headers(evhttp_request* req) {
    Headers h;
    const evkeyvalq* q = evhttp_request_get_input_headers(req);
    for (const evkeyval* kv = q->tqh_first; kv; kv = kv->next.tqe_next) h.emplace_back(kv->key, kv->value);
    return h;
}

inline void add_output_headers(evhttp_request* req, const Headers& h) {
    evkeyvalq* out = evhttp_request_get_output_headers(req);
    for (const auto& [name, value] : h) evhttp_add_header(out, name.c_str(), value.c_str());
}

// Fields a cache never forwards as they came: framing is redone per hop.
inline void drop_framing(Headers& h) {
    remove_header(h, "content-length");
    remove_header(h, "transfer-encoding");
}

inline std::int64_t wall_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace sr::cache
