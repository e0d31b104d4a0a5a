// sr-lookup's DHT commands (sr-lookup(1)): put, get, remove, route, key.
// Keys by NAME (hashed in namespace --ns) or --key HEX; with no NAME the
// names come one per line from stdin and each gets one result line.
#pragma once

#include "core/cli.hpp"

namespace sr::dht {

void add_lookup_commands(CLI::App& app, const ClientOptions& opts, Commands& commands);

}  // namespace sr::dht
