#include "dht/writer.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/secret.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sr::dht {

namespace {

void put_be(std::string& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

struct WriterKey::Pkey {
    EVP_PKEY* p = nullptr;
    ~Pkey() { EVP_PKEY_free(p); }
};

Id writer_id(std::string_view owner, std::uint32_t uid) {
    std::string in("sr-writer", 10);  // with its NUL
    in.append(owner);
    put_be(in, uid, 4);
    std::string h = sha256_of(in);
    return Id::from_bytes(reinterpret_cast<const std::uint8_t*>(h.data()));
}

std::string signed_bytes(const Record& r) {
    std::string out("sr-dht-value-v1", 16);  // with its NUL
    auto k = r.key.bytes();
    out.append(reinterpret_cast<const char*>(k.data()), k.size());
    auto w = r.writer.bytes();
    out.append(reinterpret_cast<const char*>(w.data()), w.size());
    put_be(out, r.vid, 8);
    put_be(out, r.seq, 8);
    out.push_back(static_cast<char>(r.type.size()));
    out.append(r.type);
    out.append(r.tombstone ? r.digest : sha256_of(r.value));
    put_be(out, r.not_after, 8);
    out.push_back(static_cast<char>(r.remove_hash.size()));
    out.append(r.remove_hash);
    out.append(r.owner);
    put_be(out, r.uid, 4);
    return out;
}

WriterKey::WriterKey(std::unique_ptr<Pkey> k) : key_(std::move(k)) {
    unsigned char pub[kOwnerBytes];
    std::size_t len = sizeof pub;
    if (EVP_PKEY_get_raw_public_key(key_->p, pub, &len) != 1 || len != kOwnerBytes)
        throw Error("internal", "cannot read the Ed25519 public key");
    public_.assign(reinterpret_cast<char*>(pub), len);
}
WriterKey::WriterKey(WriterKey&&) noexcept = default;
WriterKey& WriterKey::operator=(WriterKey&&) noexcept = default;
WriterKey::~WriterKey() = default;

WriterKey WriterKey::ephemeral() {
    auto k = std::make_unique<Pkey>();
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &k->p) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) throw Error("internal", "cannot make an Ed25519 key");
    return WriterKey(std::move(k));
}

WriterKey WriterKey::load_or_create(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno != ENOENT) throw Error("config", path + ": " + std::strerror(errno));
        WriterKey key = ephemeral();
        BIO* bio = BIO_new(BIO_s_mem());
        if (!bio || PEM_write_bio_PrivateKey(bio, key.key_->p, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
            BIO_free(bio);
            throw Error("internal", "cannot encode the writer key");
        }
        char* data = nullptr;
        long n = BIO_get_mem_data(bio, &data);
        std::string pem(data, static_cast<std::size_t>(n));
        BIO_free(bio);
        std::string tmp = path + ".tmp";
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) throw Error("io", "cannot write " + tmp + ": " + std::strerror(errno));
        bool ok = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
        ::close(fd);
        OPENSSL_cleanse(pem.data(), pem.size());
        if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
            throw Error("io", "cannot write " + path + ": " + std::strerror(errno));
        log::info("made a new writer key in ", path);
        return key;
    }
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077))
        throw Error("config", path + ": the writer key must not be readable by others (chmod 600)");
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string pem = ss.str();
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    auto k = std::make_unique<Pkey>();
    k->p = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (!k->p || EVP_PKEY_id(k->p) != EVP_PKEY_ED25519)
        throw Error("config", path + ": not an Ed25519 private key in PEM (remove it to make a new one)");
    return WriterKey(std::move(k));
}

void WriterKey::stamp(Record& r, std::uint32_t uid, std::uint64_t expires_wall_s) const {
    r.owner = public_;
    r.uid = uid;
    r.writer = writer_id(r.owner, uid);
    r.not_after = expires_wall_s;
    r.digest.clear();
    r.remove_secret.clear();
    const std::string msg = signed_bytes(r);
    unsigned char sig[kSigBytes];
    std::size_t len = sizeof sig;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_->p) == 1 &&
              EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || len != kSigBytes) throw Error("internal", "Ed25519 signing failed");
    r.sig.assign(reinterpret_cast<char*>(sig), len);
}

bool verify_signature(const Record& r) {
    if (r.owner.size() != kOwnerBytes || r.sig.size() != kSigBytes) return false;
    if (r.tombstone && r.digest.size() != kRemoveHashBytes) return false;
    EVP_PKEY* pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                reinterpret_cast<const unsigned char*>(r.owner.data()), r.owner.size());
    if (!pub) return false;
    const std::string msg = signed_bytes(r);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pub) == 1 &&
              EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(r.sig.data()), r.sig.size(),
                               reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pub);
    return ok;
}

std::string check_record(Record& r, bool open_overlay, std::int64_t now_mono_us, std::int64_t now_wall_us) {
    if (!r.owner.empty() && (r.owner.size() != kOwnerBytes || r.writer != writer_id(r.owner, r.uid)))
        return "writer id does not match its key";
    if (!open_overlay) return {};
    if (r.owner.empty() || r.sig.empty()) return "unsigned record in an open overlay";
    if (!verify_signature(r)) return "bad signature";
    if (r.tombstone) {
        if (r.remove_hash.size() != kRemoveHashBytes || r.remove_secret.empty() ||
            !same_secret(sha256_of(r.remove_secret), r.remove_hash))
            return "tombstone without the removal secret";
    }
    const std::int64_t left_us = static_cast<std::int64_t>(std::min<std::uint64_t>(r.not_after, INT64_MAX / 2000000)) *
                                     1'000'000 - now_wall_us;
    if (left_us <= 0) return "signed expiry has passed";
    r.expires_us = std::min(r.expires_us, now_mono_us + left_us);
    return {};
}

}  // namespace sr::dht
