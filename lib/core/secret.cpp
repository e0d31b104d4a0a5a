#include "core/secret.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace sr {

std::string read_key_file(const std::string& path, const std::string& what, std::size_t min_size,
                          std::size_t max_size) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw Error("config", what + " " + path + ": cannot read it");
    if (st.st_mode & 0077) log::warn(what, " ", path, " is readable by others: chmod 600 it");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string key = ss.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
    if (key.size() < min_size)
        throw Error("config", what + " " + path + ": the key must have at least " + std::to_string(min_size) + " bytes");
    if (key.size() > max_size)
        throw Error("config", what + " " + path + ": the key must have at most " + std::to_string(max_size) + " bytes");
    return key;
}

std::string hmac(const char* digest, std::string_view key, std::initializer_list<std::string_view> parts) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    std::string digest_name = digest;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name.data(), 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
    for (auto p : parts) EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(p.data()), p.size());
    std::string out(EVP_MAX_MD_SIZE, '\0');
    std::size_t outlen = 0;
    EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &outlen, out.size());
    out.resize(outlen);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return out;
}

std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
    return hmac("SHA256", key, parts);
}

bool same_secret(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) throw Error("internal", "SHA-256 unavailable");
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_, data, n); }

std::string Sha256::hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += digits[md[i] >> 4];
        out += digits[md[i] & 15];
    }
    return out;
}

}  // namespace sr
