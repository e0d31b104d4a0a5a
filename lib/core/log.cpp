#include "core/log.hpp"

#include <cstdio>

namespace sr::log {

namespace {
std::string program = "sr";
Level threshold = Level::info;
const char* names[] = {"debug", "info", "warning", "error"};
}  // namespace

void set_program(std::string_view name) { program = name; }
void set_level(Level level) { threshold = level; }
bool enabled(Level level) { return level >= threshold; }

void write(Level level, const std::string& line) {
    std::string out = program + ": " + names[static_cast<int>(level)] + ": " + line + "\n";
    std::fwrite(out.data(), 1, out.size(), stderr);
}

}  // namespace sr::log
