// sr-ctl's prox views (sr-ctl(8)): prox peers | summary | route PREFIX | map.
#pragma once

#include "core/cli.hpp"

namespace sr::prox {

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands);

}  // namespace sr::prox
