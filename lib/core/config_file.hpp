// Naming the line at fault in a -c file.
//
// CLI11 reads the file (key = value, TOML or INI) but its errors name
// neither the file nor the line ("INI was not able to parse listn",
// "--replicas: Value 0 not in range 1 to 8"). When parsing fails, the file
// is read again here to find the line: a line that is not `key = value`, a
// section (our daemons have none), a key that is no option, or the line
// that set the option CLI11's error names (when the command line did not).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sr {

// "FILE:LINE: what is wrong" for the -c file at `path`, given CLI11's error
// message and the command line; nullopt when the fault is not the file's.
std::optional<std::string> config_file_problem(const CLI::App& app, const std::string& path,
                                               const std::string& cli11_error,
                                               const std::vector<std::string>& command_line);

}  // namespace sr
