#include "dht/ctl_commands.hpp"

#include "core/exit.hpp"

namespace sr::dht {

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    auto* dht = app.add_subcommand("dht", "Show sr-dhtd's state");
    dht->require_subcommand(1);
    auto view = [&](const char* name, const char* help, const char* method, const char* list,
                    std::vector<std::string> columns) {
        auto* sub = dht->add_subcommand(name, help);
        commands.push_back({sub, [&opts, method, list, columns] {
            Client c(opts.socket_for("dhtd"), opts.timeout_ms);
            Value r = c.call(method);
            Output out(opts.output(), columns);
            if (!list) {
                out.row(r);
                return exit_ok;
            }
            for (auto row : r[list]) {
                // A routing table's column is the next digit of the ids in it: hex, as they print.
                if (row.contains("digit") && row["digit"].is_number_unsigned() && row["digit"].get<unsigned>() < 16)
                    row["digit"] = std::string(1, "0123456789abcdef"[row["digit"].get<unsigned>()]);
                out.row(row);
            }
            // dht.keys pages: ask for the next page after the last key until one comes back short.
            while (std::string(method) == "dht.keys" && r[list].size() >= 1000) {
                r = c.call(method, {{"after", r[list].back()["key"]}, {"limit", 1000}});
                for (const auto& row : r[list]) out.row(row);
            }
            return exit_ok;
        }});
    };
    view("info", "This node: id, address, uptime, table and store sizes", "dht.info", nullptr,
         {"id", "address", "joined", "uptime_s", "leafset", "routes", "keys", "values", "bytes"});
    view("leafset", "The leaf set, nearest first on each side", "dht.leafset", "leafset",
         {"side", "pos", "id", "addr", "rtt_us"});
    view("routes", "The routing table's filled entries", "dht.routes", "routes", {"row", "digit", "id", "addr", "rtt_us"});
    view("keys", "Stored keys with value count, bytes and smallest TTL", "dht.keys", "keys",
         {"key", "values", "bytes", "ttl"});
}

}  // namespace sr::dht
