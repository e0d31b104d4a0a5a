// The prox.* methods of sr-proxd's control socket (sr-proxd(8)).
#pragma once

#include "core/rpc.hpp"
#include "prox/service.hpp"

namespace sr::prox {

void add_methods(rpc::Registry& registry, Service& service);

}  // namespace sr::prox
