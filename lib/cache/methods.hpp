// The cache.* and service.* methods of sr-cached's control socket (sr-cached(8)).
#pragma once

#include "cache/cache.hpp"
#include "core/rpc.hpp"

namespace sr::cache {

void add_methods(rpc::Registry& registry, Cache& cache);

}  // namespace sr::cache
