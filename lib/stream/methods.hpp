// The stream.* methods of sr-streamd's control socket.
#pragma once

#include "core/http_admission.hpp"
#include "core/rpc.hpp"
#include "stream/catalog.hpp"
#include "stream/channels.hpp"

namespace sr::stream {

void add_methods(rpc::Registry& reg, Catalog& catalog, Channels& channels, const ClientConnections& conns);

}  // namespace sr::stream
