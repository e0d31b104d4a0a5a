#include "core/cli.hpp"

#include "core/error.hpp"
#include "core/exit.hpp"

#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

namespace sr {

CLI::Validator at_least(double min) {
    std::ostringstream text;
    text << min;
    std::string bound = text.str();
    return CLI::Validator(
        [min, bound](std::string& value) -> std::string {
            double v = 0;
            try {
                std::size_t used = 0;
                v = std::stod(value, &used);
                if (used != value.size()) return "'" + value + "' is not a number";
            } catch (const std::exception&) {
                return "'" + value + "' is not a number";
            }
            return v < min ? "must be at least " + bound + ", not " + value : std::string();
        },
        "NUMBER >= " + bound, "at_least");
}

void add_client_options(CLI::App& app, ClientOptions& o) {
    app.fallthrough();  // -j and friends also after the subcommand
    app.add_option("--runtime-dir", o.runtime_dir, "Directory of the daemons' sockets")->envname("SR_RUNTIME_DIR");
    app.add_flag("-j,--json", o.json, "Print JSON Lines instead of TSV");
    app.add_flag("-H,--header", o.header, "Print a header line before TSV records");
    app.add_option("--timeout", o.timeout_ms, "Milliseconds to wait for an answer")->check(sr::at_least(1));
}

namespace {

// When a command is required and the word given is none of them: which
// word, and what the commands are. The words are followed down the
// subcommands named so far; an option's value is not taken for a command.
std::optional<std::string> unknown_command(CLI::App& app, int argc, char** argv) {
    CLI::App* at = &app;
    bool value_next = false;
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        if (value_next) {
            value_next = false;
            continue;
        }
        if (word.size() > 1 && word[0] == '-') {
            std::string name = word.substr(0, word.find('='));
            const CLI::Option* o = at->get_option_no_throw(name);
            if (!o) o = app.get_option_no_throw(name);
            value_next = o && word.find('=') == std::string::npos && o->get_type_size() != 0;
            continue;
        }
        CLI::App* sub = nullptr;
        for (auto* s : at->get_subcommands({}))
            if (s->check_name(word)) sub = s;
        if (sub) {
            at = sub;
            continue;
        }
        if (at->get_subcommands({}).empty()) return std::nullopt;  // a positional argument
        std::string names;
        for (const auto* s : at->get_subcommands({})) names += (names.empty() ? "" : ", ") + s->get_name();
        return "unknown command '" + word + "' (" + names + ")";
    }
    return std::nullopt;
}

}  // namespace

int run_client(CLI::App& app, int argc, char** argv, const std::function<int()>& body) {
    std::string prog = app.get_name();
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return exit_ok;
    } catch (const CLI::CallForAllHelp&) {
        std::cout << app.help("", CLI::AppFormatMode::All);
        return exit_ok;
    } catch (const CLI::CallForVersion&) {
        std::cout << app.version() << "\n";
        return exit_ok;
    } catch (const CLI::ParseError& e) {
        auto unknown = unknown_command(app, argc, argv);
        std::cerr << prog << ": " << (unknown ? *unknown : e.what()) << "\nRun '" << prog << " --help' for usage.\n";
        return exit_usage;
    }
    try {
        return body();
    } catch (const ClientError& e) {
        std::cerr << prog << ": " << e.what() << "\n";
        return e.exit_code;
    } catch (const Error& e) {
        std::cerr << prog << ": " << e.what() << "\n";
        return exit_for_error_code(e.code);
    } catch (const std::exception& e) {
        std::cerr << prog << ": internal error: " << e.what() << "\n";
        return exit_software;
    }
}

int run_parsed(const Commands& commands) {
    for (const auto& c : commands)
        if (c.sub->parsed()) return c.run();
    throw ClientError(exit_usage, "", "no command given; see --help");
}

void for_each_operand(const std::vector<std::string>& given, const std::function<void(const std::string&)>& fn) {
    if (!given.empty()) {
        for (const auto& g : given) fn(g);
        return;
    }
    std::string line;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) fn(line);
    }
}

std::string read_stdin() {
    std::cin >> std::noskipws;
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace sr
