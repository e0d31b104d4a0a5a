// sr-lookup's event commands: publish and subscribe. See sr-lookup(1).
#pragma once

#include "core/cli.hpp"

namespace sr::event {

void add_lookup_commands(CLI::App& app, const ClientOptions& opts, Commands& commands);
// sr-ctl event topics|tree|stats
void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands);

}  // namespace sr::event
