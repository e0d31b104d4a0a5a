#include "dht/replication.hpp"

namespace sr::dht {

std::vector<Id> handover_keys(const Store& store, std::int64_t now) {
    std::vector<Id> out;
    for (const Id& key : store.key_ids()) {
        if (store.holds(key, now)) out.push_back(key);
    }
    return out;
}

}  // namespace sr::dht
