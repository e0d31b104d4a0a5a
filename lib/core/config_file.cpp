#include "core/config_file.hpp"

#include <fstream>

namespace sr {
namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string unquote(const std::string& s) {
    if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) return s.substr(1, s.size() - 2);
    return s;
}

const CLI::Option* option_for_key(const CLI::App& app, const std::string& key) {
    if (const auto* op = app.get_option_no_throw("--" + key)) return op;
    if (key.size() == 1) return app.get_option_no_throw("-" + key);
    return nullptr;
}

// Whether the command line names the option (then an error about it is the
// command line's: a value on the command line wins over the file's).
bool on_command_line(const CLI::Option& op, const std::vector<std::string>& args) {
    for (const auto& a : args) {
        for (const auto& l : op.get_lnames())
            if (a == "--" + l || a.rfind("--" + l + "=", 0) == 0) return true;
        for (const auto& s : op.get_snames())
            if (a.rfind("-" + s, 0) == 0 && a.rfind("--", 0) != 0) return true;
    }
    return false;
}

}  // namespace

std::optional<std::string> config_file_problem(const CLI::App& app, const std::string& path,
                                               const std::string& cli11_error,
                                               const std::vector<std::string>& command_line) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    struct Setting {
        int line;
        const CLI::Option* option;
        std::string key;
    };
    std::vector<Setting> settings;
    std::string raw;
    bool in_array = false;  // a TOML array continued over several lines
    for (int n = 1; std::getline(in, raw); ++n) {
        std::string line = trim(raw);
        auto at = [&](const std::string& what) { return path + ":" + std::to_string(n) + ": " + what; };
        if (in_array) {
            if (line.find(']') != std::string::npos) in_array = false;
            continue;
        }
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line[0] == '[') {
            std::string section = trim(line.substr(1, line.find(']') == std::string::npos ? std::string::npos : line.find(']') - 1));
            if (section == "default") continue;
            return at("section [" + section + "]: the options have no sections; write key = value lines");
        }
        auto eq = line.find('=');
        if (eq == std::string::npos) {  // CLI11 takes a bare flag's name as "true"
            const CLI::Option* flag = option_for_key(app, unquote(line));
            if (flag && flag->get_expected_max() == 0) continue;
            return at("'" + line + "' is not key = value");
        }
        std::string key = unquote(trim(line.substr(0, eq)));
        std::string value = trim(line.substr(eq + 1));
        if (key.empty()) return at("no key before '='");
        const CLI::Option* op = option_for_key(app, key);
        if (!op) return at("unknown option '" + key + "' (see " + app.get_name() + " --help)");
        if (!op->get_configurable()) return at("'" + key + "' cannot be set in a file");
        if (!value.empty() && value[0] == '[' && value.find(']') == std::string::npos) in_array = true;
        settings.push_back({n, op, key});
    }
    // The file reads; is CLI11's error about an option the file set?
    for (auto it = settings.rbegin(); it != settings.rend(); ++it) {
        for (const auto& name : it->option->get_lnames()) {
            std::string prefix = "--" + name + ":";
            if (cli11_error.rfind(prefix, 0) != 0) continue;
            if (on_command_line(*it->option, command_line)) return std::nullopt;
            return path + ":" + std::to_string(it->line) + ": " + it->key + ":" + cli11_error.substr(prefix.size());
        }
    }
    return std::nullopt;
}

}  // namespace sr
