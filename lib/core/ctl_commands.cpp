#include "core/ctl_commands.hpp"

#include "core/exit.hpp"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <iostream>
#include <memory>

namespace sr {

std::string daemon_socket(const ClientOptions& opts, const std::string& daemon) {
    if (daemon.find('/') != std::string::npos) return daemon;
    std::string name = daemon;
    if (name.rfind("sr-", 0) == 0) name = name.substr(3);
    if (name.empty()) throw ClientError(exit_usage, "", "empty daemon name");
    if (name.back() != 'd') name += 'd';
    static const std::vector<std::string> known = {"dhtd", "proxd", "cached", "streamd", "eventd"};
    if (std::find(known.begin(), known.end(), name) == known.end())
        throw ClientError(exit_usage, "",
                          "unknown daemon '" + daemon + "' (dhtd, proxd, cached, streamd, eventd, or a socket path)");
    return opts.socket_for(name);
}

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    {
        auto* sub = app.add_subcommand("status", "Show every daemon found in the runtime directory");
        commands.push_back({sub, [&opts] {
            std::string dir = checked_runtime_dir(opts.runtime_dir);
            std::vector<std::string> sockets;
            DIR* d = opendir(dir.c_str());
            if (!d && (errno == EACCES || errno == EPERM))  // as sr-lookup says when it cannot connect
                throw ClientError(exit_noperm, "", "cannot read " + dir + ": Permission denied");
            if (d) {
                while (dirent* e = readdir(d)) {
                    std::string n = e->d_name;
                    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".sock") == 0) sockets.push_back(n);
                }
                closedir(d);
            }
            if (sockets.empty())
                throw ClientError(exit_unavailable, "", "no daemon sockets in " + dir + " (set --runtime-dir or SR_RUNTIME_DIR)");
            std::sort(sockets.begin(), sockets.end());
            // security: what guards the daemon's peers (sr-dhtd: overlay key or open; sr-cached: cooperation mode)
            Output out(opts.output(), {"name", "pid", "version", "uptime_s", "health", "socket", "security"});
            int status = exit_ok;
            for (const auto& s : sockets) {
                std::string path = dir + "/" + s;
                try {
                    Client c(path, opts.timeout_ms);
                    Value v = c.call("sys.status");
                    v["socket"] = path;
                    v.erase("detail");
                    out.row(v);
                } catch (const ClientError& e) {
                    out.row({{"name", "sr-" + s.substr(0, s.size() - 5)}, {"health", "unreachable"}, {"socket", path},
                             {"error", e.what()}});
                    status = exit_unavailable;
                }
            }
            return status;
        }});
    }
    {
        auto* sub = app.add_subcommand("call", "Call any RPC method: JSON params in, JSON result out");
        auto daemon = std::make_shared<std::string>();
        auto method = std::make_shared<std::string>();
        auto json = std::make_shared<std::string>();
        sub->add_option("DAEMON", *daemon, "dhtd, proxd, ... or a socket path")->required();
        sub->add_option("METHOD", *method, "e.g. dht.get, sys.api")->required();
        sub->add_option("JSON", *json, "The params map (default {}; - reads it from stdin)");
        commands.push_back({sub, [=, &opts] {
            std::string text = *json == "-" ? read_stdin() : json->empty() ? "{}" : *json;
            Value params;
            try {
                params = Value::parse(text);
            } catch (const Value::exception& e) {
                throw ClientError(exit_data, "", std::string("JSON params: ") + e.what());
            }
            if (!params.is_object()) throw ClientError(exit_data, "", "JSON params must be an object");
            Client c(daemon_socket(opts, *daemon), opts.timeout_ms);
            Value r = c.call(*method, params);
            std::cout << printable(r).dump(opts.json ? -1 : 2, ' ', false, Value::error_handler_t::replace) << "\n";
            return exit_ok;
        }});
    }
}

}  // namespace sr
