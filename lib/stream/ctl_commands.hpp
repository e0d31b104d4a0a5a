// sr-ctl stream list|stats. See sr-ctl(8).
#pragma once

#include "core/cli.hpp"

namespace sr::stream {

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands);

}  // namespace sr::stream
