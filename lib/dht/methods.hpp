// The dht.* methods of sr-dhtd's control socket (documented in sr-dhtd(8)).
#pragma once

#include "core/rpc.hpp"
#include "dht/node.hpp"

namespace sr::dht {

void add_methods(rpc::Registry& registry, Node& node);

// The key of a request: `key` (32 hex digits or 16 bytes), or `name` hashed
// in namespace `ns` (default "kv"). Throws Error("invalid_params").
Id key_of(const Value& params);

}  // namespace sr::dht
