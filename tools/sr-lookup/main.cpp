// sr-lookup: the scripting front end of the service routing layer. See sr-lookup(1).
#include "cache/ctl_commands.hpp"
#include "core/cli.hpp"
#include "dht/lookup_commands.hpp"
#include "event/lookup_commands.hpp"
#include "prox/lookup_commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"sr-lookup: look up and store names in the overlay, for scripts and pipelines", "sr-lookup"};
    app.set_version_flag("-V,--version", std::string("sr-lookup ") + SR_VERSION);
    app.require_subcommand(1);
    sr::ClientOptions opts;
    sr::add_client_options(app, opts);
    sr::Commands commands;
    sr::dht::add_lookup_commands(app, opts, commands);
    sr::prox::add_lookup_commands(app, opts, commands);
    sr::cache::add_lookup_commands(app, opts, commands);
    sr::event::add_lookup_commands(app, opts, commands);
    return sr::run_client(app, argc, argv, [&] { return sr::run_parsed(commands); });
}
