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

std::string escape(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    auto put = [&out](unsigned char c) {
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f || c == '\\') {
            put(c);
        } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
            put(c);  // a C1 control such as CSI (U+009B) in UTF-8
            put(static_cast<unsigned char>(text[++i]));
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

void write(Level level, const std::string& line) {
    std::string out = program + ": " + names[static_cast<int>(level)] + ": " + escape(line) + "\n";
    std::fwrite(out.data(), 1, out.size(), stderr);
}

}  // namespace sr::log
