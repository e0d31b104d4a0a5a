// Whole-file reads and atomic writes, for the daemons' state files.
#pragma once

#include <optional>
#include <string>

namespace sr {

// The file's bytes, or nullopt when it cannot be opened (absent, unreadable).
std::optional<std::string> read_file(const std::string& path);

// Writes path atomically (PATH.tmp, fsync, rename), mode 0600: a crash leaves
// the old file or the new one, never half of one. Throws Error("io").
void write_file_atomic(const std::string& path, const std::string& data);

}  // namespace sr
