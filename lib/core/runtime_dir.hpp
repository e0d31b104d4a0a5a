// The runtime directory: where daemons put their control sockets and where
// clients look for them (DESIGN §3, §11).
//
// The default for users other than root may be /tmp/sr-UID, a name anyone
// can take first; whoever owns the directory can put a socket of their own
// in it and receive the requests (secrets included) meant for our daemons.
// So a directory is used only when it is safe:
//
//   - it is a directory (a symlink to one counts only if the link itself is
//     owned by us or root: in a world-writable /tmp its owner could point
//     it elsewhere);
//   - nobody but its owner can write it (no group or other write bit);
//   - its owner is us (the effective uid) or root. A client given the
//     directory explicitly (--runtime-dir, SR_RUNTIME_DIR) also accepts any
//     other owner, because naming it says whose daemons it means to talk to
//     (a user in the --group of the daemons of user sr, say); so does a
//     client's default directory whose parent only root can write (root's
//     /run/sr made by systemd for daemons running as user sr): nobody but
//     root could have put it there.
//
// A daemon creates a missing directory with mode 0700, or 0750 with its
// group set to --group when one is configured, so the group can reach the
// sockets; an existing one keeps its mode. A client meeting a missing
// directory goes on (connecting then fails with "unavailable").
// Everything refused is an Error("config") naming the directory (exit 78).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace sr {

struct RuntimeDir {
    std::string path;
    bool chosen = false;  // given by --runtime-dir or SR_RUNTIME_DIR, not the default
};

// The option's value, else $SR_RUNTIME_DIR, else /run/sr for root and
// $XDG_RUNTIME_DIR/sr (or /tmp/sr-UID) for others.
RuntimeDir find_runtime_dir(const std::string& option_value);

// For a client: throws Error("config") when dir exists and is not safe (above).
void check_runtime_dir_for_client(const RuntimeDir& dir);

// For a daemon: creates dir when missing (parents 0755), then throws
// Error("config") unless it is safe and owned by us or root.
void prepare_runtime_dir(const RuntimeDir& dir, std::optional<gid_t> group);

}  // namespace sr
