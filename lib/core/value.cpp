#include "core/value.hpp"

#include "core/error.hpp"

#include <openssl/evp.h>

namespace sr {

Value to_value(const msgpack::object& obj) {
    switch (obj.type) {
    case msgpack::type::NIL: return nullptr;
    case msgpack::type::BOOLEAN: return obj.via.boolean;
    case msgpack::type::POSITIVE_INTEGER: return obj.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return obj.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return obj.via.f64;
    case msgpack::type::STR: return std::string(obj.via.str.ptr, obj.via.str.size);
    case msgpack::type::BIN:
        return Value::binary(std::vector<std::uint8_t>(obj.via.bin.ptr, obj.via.bin.ptr + obj.via.bin.size));
    case msgpack::type::ARRAY: {
        Value out = Value::array();
        for (std::uint32_t i = 0; i < obj.via.array.size; ++i) out.push_back(to_value(obj.via.array.ptr[i]));
        return out;
    }
    case msgpack::type::MAP: {
        Value out = Value::object();
        for (std::uint32_t i = 0; i < obj.via.map.size; ++i) {
            const auto& kv = obj.via.map.ptr[i];
            if (kv.key.type != msgpack::type::STR) throw DecodeError("map key is not a string");
            out[std::string(kv.key.via.str.ptr, kv.key.via.str.size)] = to_value(kv.val);
        }
        return out;
    }
    default: throw DecodeError("unsupported msgpack type (ext)");
    }
}

void pack_value(Packer& pk, const Value& v) {
    switch (v.type()) {
    case Value::value_t::null:
    case Value::value_t::discarded: pk.pack_nil(); break;
    case Value::value_t::boolean: v.get<bool>() ? pk.pack_true() : pk.pack_false(); break;
    case Value::value_t::number_unsigned: pk.pack_uint64(v.get<std::uint64_t>()); break;
    case Value::value_t::number_integer: pk.pack_int64(v.get<std::int64_t>()); break;
    case Value::value_t::number_float: pk.pack_double(v.get<double>()); break;
    case Value::value_t::string: {
        const auto& s = v.get_ref<const std::string&>();
        pk.pack_str(static_cast<std::uint32_t>(s.size()));
        pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
        break;
    }
    case Value::value_t::binary: {
        const auto& b = v.get_binary();
        pk.pack_bin(static_cast<std::uint32_t>(b.size()));
        pk.pack_bin_body(reinterpret_cast<const char*>(b.data()), static_cast<std::uint32_t>(b.size()));
        break;
    }
    case Value::value_t::array:
        pk.pack_array(static_cast<std::uint32_t>(v.size()));
        for (const auto& e : v) pack_value(pk, e);
        break;
    case Value::value_t::object:
        pk.pack_map(static_cast<std::uint32_t>(v.size()));
        for (auto it = v.begin(); it != v.end(); ++it) {
            pk.pack_str(static_cast<std::uint32_t>(it.key().size()));
            pk.pack_str_body(it.key().data(), static_cast<std::uint32_t>(it.key().size()));
            pack_value(pk, it.value());
        }
        break;
    }
}

Value bytes_value(std::string_view bytes) {
    return Value::binary(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

std::string value_bytes(const Value& v) {
    if (v.is_binary()) return std::string(v.get_binary().begin(), v.get_binary().end());
    if (v.is_string()) return v.get<std::string>();
    throw Error("invalid_params", "expected bytes or a string");
}

bool is_utf8_text(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = s[i];
        int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
        if (extra < 0 || i + extra >= s.size() + (extra == 0)) return false;  // truncated sequence
        if (extra == 0 && c < 0x20 && c != '\n' && c != '\t' && c != '\r') return false;
        for (int k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
        i += extra + 1;
    }
    return true;
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(n);
    return out;
}

Value printable(const Value& v) {
    if (v.is_binary()) {
        std::string b(v.get_binary().begin(), v.get_binary().end());
        if (is_utf8_text(b)) return b;
        return Value{{"base64", base64(b)}};
    }
    if (v.is_array()) {
        Value out = Value::array();
        for (const auto& e : v) out.push_back(printable(e));
        return out;
    }
    if (v.is_object()) {
        Value out = Value::object();
        for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = printable(it.value());
        return out;
    }
    // Past 2^53 a JSON reader such as jq rounds an integer (a value's vid):
    // it goes as a string of its digits.
    constexpr std::uint64_t kExact = std::uint64_t{1} << 53;
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > kExact) return std::to_string(v.get<std::uint64_t>());
    if (v.is_number_integer() && !v.is_number_unsigned()) {
        auto i = v.get<std::int64_t>();
        if (i > static_cast<std::int64_t>(kExact) || i < -static_cast<std::int64_t>(kExact)) return std::to_string(i);
    }
    return v;
}

}  // namespace sr
