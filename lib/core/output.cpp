#include "core/output.hpp"

namespace sr {

Output::Output(OutputOptions opts, std::vector<std::string> columns, std::FILE* out)
    : opts_(opts), columns_(std::move(columns)), out_(out) {}

std::string tsv_field(const Value& v) {
    if (v.is_null()) return "-";
    Value p = printable(v);
    std::string raw = p.is_string() ? p.get<std::string>() : p.dump(-1, ' ', false, Value::error_handler_t::replace);
    std::string out;
    out.reserve(raw.size());
    for (char c : raw) {
        switch (c) {
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\\': out += "\\\\"; break;
        default: out += c;
        }
    }
    return out;
}

void Output::row(const Value& record) {
    std::string line;
    if (opts_.json) {
        line = printable(record).dump(-1, ' ', false, Value::error_handler_t::replace);
    } else {
        if (opts_.header && !header_done_) {
            for (std::size_t i = 0; i < columns_.size(); ++i) line += (i ? "\t" : "") + columns_[i];
            line += "\n";
            header_done_ = true;
        }
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            auto it = record.find(columns_[i]);
            line += (i ? "\t" : "") + tsv_field(it == record.end() ? Value() : *it);
        }
    }
    line += "\n";
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
}

}  // namespace sr
