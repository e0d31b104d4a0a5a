// What a call threw, for tests that check errors by their code or message.
#pragma once

#include "core/error.hpp"

#include <functional>
#include <string>

namespace sr::test {

// The code of the sr::Error fn threw, "" when it threw none.
inline std::string code_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.code;
    }
    return "";
}

// "code: message" of the sr::Error fn threw, "" when it threw none.
inline std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.code + ": " + e.what();
    }
    return "";
}

}  // namespace sr::test
