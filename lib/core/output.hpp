// Record output of the client tools (DESIGN §5): TSV by default, one record
// per line in documented columns, no header unless -H; JSON Lines with -j.
// Every record is flushed as it is written, so tools sit in pipelines.
#pragma once

#include "core/value.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace sr {

struct OutputOptions {
    bool json = false;
    bool header = false;
};

class Output {
  public:
    Output(OutputOptions opts, std::vector<std::string> columns, std::FILE* out = stdout);
    // TSV: the record's fields named by the columns, in order ("-" when
    // absent or null); JSON: the whole record.
    void row(const Value& record);

  private:
    OutputOptions opts_;
    std::vector<std::string> columns_;
    std::FILE* out_;
    bool header_done_ = false;
};

// One TSV field: tabs, newlines and backslashes escaped as \t \n \\.
std::string tsv_field(const Value& v);

}  // namespace sr
