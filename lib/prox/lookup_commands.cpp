#include "prox/lookup_commands.hpp"

#include "core/exit.hpp"

#include <memory>

namespace sr::prox {

void add_lookup_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    {
        auto* sub = app.add_subcommand("rank", "Order candidate addresses by topological cost from --from");
        auto from = std::make_shared<std::string>();
        auto candidates = std::make_shared<std::vector<std::string>>();
        auto top = std::make_shared<std::size_t>(0);
        sub->add_option("-f,--from", *from, "The address the candidates are ranked from")->required();
        sub->add_option("CANDIDATE", *candidates, "Addresses to rank (default: one per line from stdin)");
        sub->add_option("-n,--top", *top, "Print only the N nearest");
        commands.push_back({sub, [=, &opts] {
            Value list = Value::array();
            for_each_operand(*candidates, [&](const std::string& c) { list.push_back(c); });
            Client c(opts.socket_for("proxd"), opts.timeout_ms);
            Value r = c.call("prox.rank", {{"from", *from}, {"candidates", list}});
            Output out(opts.output(), {"address", "cost"});
            std::size_t n = 0;
            for (const auto& row : r["ranked"]) {
                if (*top && n++ >= *top) break;
                out.row(row);
            }
            return exit_ok;
        }});
    }
    {
        auto* sub = app.add_subcommand("cost", "Print the topological cost from A to B (exit 1 when there is no path)");
        auto a = std::make_shared<std::string>();
        auto b = std::make_shared<std::string>();
        sub->add_option("A", *a, "From this address")->required();
        sub->add_option("B", *b, "To this address")->required();
        commands.push_back({sub, [=, &opts] {
            Client c(opts.socket_for("proxd"), opts.timeout_ms);
            Value r = c.call("prox.cost", {{"from", *a}, {"to", *b}});
            if (opts.json) Output(opts.output(), {}).row(r);
            else if (!r["cost"].is_null()) std::printf("%s\n", r["cost"].dump().c_str());
            return r["cost"].is_null() ? exit_no_result : exit_ok;
        }});
    }
    {
        auto* sub = app.add_subcommand("pid", "Print the router (PID) each address belongs to");
        auto addresses = std::make_shared<std::vector<std::string>>();
        sub->add_option("ADDRESS", *addresses, "Addresses (default: one per line from stdin)");
        commands.push_back({sub, [=, &opts] {
            Client c(opts.socket_for("proxd"), opts.timeout_ms);
            bool one = addresses->size() == 1;
            bool missing = false;
            Output out(opts.output(), {"address", "pid"});
            for_each_operand(*addresses, [&](const std::string& a) {
                Value r = c.call("prox.pid", {{"address", a}});
                missing = missing || r["pid"].is_null();
                if (one && !opts.json) {
                    if (!r["pid"].is_null()) std::printf("%s\n", r["pid"].get<std::string>().c_str());
                    return;
                }
                r["address"] = a;
                out.row(r);
            });
            return missing ? exit_no_result : exit_ok;
        }});
    }
}

}  // namespace sr::prox
