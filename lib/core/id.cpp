#include "core/id.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace sr {

unsigned Id::digit(int i, int b) const {
    int per_word = 64 / b;
    std::uint64_t w = i < per_word ? hi : lo;
    int pos = i % per_word;
    int shift = 64 - b * (pos + 1);
    return static_cast<unsigned>((w >> shift) & ((1ULL << b) - 1));
}

int Id::shared_prefix(const Id& other, int b) const {
    std::uint64_t x = hi ^ other.hi;
    int same_bits = 0;
    if (x != 0) {
        same_bits = __builtin_clzll(x);
    } else {
        std::uint64_t y = lo ^ other.lo;
        same_bits = y == 0 ? 128 : 64 + __builtin_clzll(y);
    }
    return same_bits / b;
}

Id Id::operator+(const Id& o) const {
    Id r;
    r.lo = lo + o.lo;
    r.hi = hi + o.hi + (r.lo < lo ? 1 : 0);
    return r;
}

Id Id::operator-(const Id& o) const {
    Id r;
    r.lo = lo - o.lo;
    r.hi = hi - o.hi - (lo < o.lo ? 1 : 0);
    return r;
}

std::string Id::hex() const {
    static const char digits[] = "0123456789abcdef";
    std::string s(32, '0');
    for (int i = 0; i < 32; ++i) s[i] = digits[digit(i, 4)];
    return s;
}

std::array<std::uint8_t, 16> Id::bytes() const {
    std::array<std::uint8_t, 16> out{};
    for (int i = 0; i < 8; ++i) {
        out[i] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
        out[8 + i] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
    }
    return out;
}

std::optional<Id> Id::from_hex(std::string_view s) {
    if (s.size() != 32) return std::nullopt;
    Id id;
    for (int i = 0; i < 32; ++i) {
        char c = s[i];
        unsigned v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else return std::nullopt;
        std::uint64_t& w = i < 16 ? id.hi : id.lo;
        w = (w << 4) | v;
    }
    return id;
}

Id Id::from_bytes(const std::uint8_t* p) {
    Id id;
    for (int i = 0; i < 8; ++i) {
        id.hi = (id.hi << 8) | p[i];
        id.lo = (id.lo << 8) | p[8 + i];
    }
    return id;
}

Id Id::random() {
    std::uint8_t buf[16];
    if (RAND_bytes(buf, sizeof buf) != 1) throw std::runtime_error("RAND_bytes failed");
    return from_bytes(buf);
}

Id Id::hash(std::string_view ns, std::string_view name) {
    // The digest is fetched once and the context reused: OpenSSL 3 takes locks
    // on every implicit fetch, which showed on sr-cached's hit path.
    struct Sha256 {
        EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        ~Sha256() {
            EVP_MD_CTX_free(ctx);
            EVP_MD_free(md);
        }
    };
    thread_local Sha256 sha;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX* ctx = sha.ctx;
    EVP_DigestInit_ex2(ctx, sha.md, nullptr);
    if (!ns.empty()) {
        EVP_DigestUpdate(ctx, ns.data(), ns.size());
        EVP_DigestUpdate(ctx, ":", 1);
    }
    EVP_DigestUpdate(ctx, name.data(), name.size());
    EVP_DigestFinal_ex(ctx, md, &len);
    return from_bytes(md);
}

Id ring_distance(const Id& a, const Id& b) {
    Id d1 = b - a, d2 = a - b;
    return d1 < d2 ? d1 : d2;
}

bool closer_to(const Id& key, const Id& a, const Id& b) {
    Id da = ring_distance(key, a), db = ring_distance(key, b);
    if (da != db) return da < db;
    return a < b;
}

}  // namespace sr
