// Shared secrets of closed deployments: a key file read once, and HMAC-SHA256.
//
// sr-dhtd authenticates overlay frames with its --overlay-key-file; sr-cached
// authenticates requests between peer caches with --peer-key-file. Both read
// the key the same way and compute the same MAC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace sr {

// The file's bytes without trailing whitespace; at least min_size and at
// most max_size of them (protocols such as OSPF fix the key's length).
// Warns when others may read it. Throws Error("config") naming `what` and path.
std::string read_key_file(const std::string& path, const std::string& what, std::size_t min_size = 16,
                          std::size_t max_size = SIZE_MAX);

// HMAC with the named digest ("SHA256", "SHA1", "SHA512"...) of the
// concatenated parts; hmac_sha256 is HMAC-SHA256 (32 bytes).
std::string hmac(const char* digest, std::string_view key, std::initializer_list<std::string_view> parts);
std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts);

// SHA-256 over data given in pieces (a body as it streams in).
class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, std::size_t n);
    std::string hex();  // the digest of everything so far, lower-case hex; ends the context

  private:
    ::evp_md_ctx_st* ctx_;
};

// Constant-time comparison of two byte strings.
bool same_secret(std::string_view a, std::string_view b);

}  // namespace sr
