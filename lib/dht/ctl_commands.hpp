// sr-ctl's dht views (sr-ctl(8)): dht info | leafset | routes | keys.
#pragma once

#include "core/cli.hpp"

namespace sr::dht {

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands);

}  // namespace sr::dht
