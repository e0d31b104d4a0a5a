// sr-ctl: the management front end of the service routing layer. See sr-ctl(8).
#include "cache/ctl_commands.hpp"
#include "core/cli.hpp"
#include "core/ctl_commands.hpp"
#include "dht/ctl_commands.hpp"
#include "event/lookup_commands.hpp"
#include "prox/ctl_commands.hpp"
#include "stream/ctl_commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"sr-ctl: show and manage the daemons of the service routing layer", "sr-ctl"};
    app.set_version_flag("-V,--version", std::string("sr-ctl ") + SR_VERSION);
    app.require_subcommand(1);
    sr::ClientOptions opts;
    sr::add_client_options(app, opts);
    sr::Commands commands;
    sr::add_ctl_commands(app, opts, commands);
    sr::dht::add_ctl_commands(app, opts, commands);
    sr::prox::add_ctl_commands(app, opts, commands);
    sr::cache::add_ctl_commands(app, opts, commands);
    sr::event::add_ctl_commands(app, opts, commands);
    sr::stream::add_ctl_commands(app, opts, commands);
    return sr::run_client(app, argc, argv, [&] { return sr::run_parsed(commands); });
}
