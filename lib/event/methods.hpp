// sr-eventd's RPC methods (event.*), see sr-eventd(8).
#pragma once

#include "core/rpc.hpp"
#include "event/service.hpp"

namespace sr::event {

void add_methods(rpc::Registry& reg, EventService& service);

}  // namespace sr::event
