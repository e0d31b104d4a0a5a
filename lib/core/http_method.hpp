// The name of an evhttp request's method, for the modules that serve HTTP
// on evhttp (sr-proxd's ALTO server, sr-cached).
#pragma once

#include <event2/http.h>

namespace sr {

inline const char* http_method_name(evhttp_cmd_type t) {
    switch (t) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    }
    return "?";
}

}  // namespace sr
