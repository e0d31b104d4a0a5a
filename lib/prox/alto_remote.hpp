// Gateway mode: an AltoModel made of another ALTO server's maps.
//
// A node without a routing feed runs sr-proxd --upstream URL: it polls a
// gateway's ALTO server and answers (ALTO, prox.*) from what it fetched.
//
// AltoMaps is the data: one network map and the numerical routingcost (and,
// if offered, hopcount) cost maps, parsed and checked once (PID names,
// prefixes and their families, numeric costs, cost maps built on this very
// network map version), then answered from flat tables. pid_of() is a
// linear longest-prefix scan over prefixes sorted longest first: network
// maps are one PID per router or PoP, so a few hundred prefixes. Ordinal
// answers need no ordinal maps: alto.cpp ranks numerical costs.
//
// RemoteAltoModel::refresh() walks the gateway's directory: GET the IRD,
// take its default network map (or the first network map), and the cost
// maps that use it with cost type numerical routingcost / hopcount
// (advertised through "cost-type-names" and the IRD's "cost-types"); GET
// them in turn, build an AltoMaps, and swap it in only when its version
// differs from the current one. The version hashes the network map's vtag
// and the cost maps' contents, because RFC 7285 cost maps have no vtag of
// their own and may change under an unchanged network map (§6.4). Readers
// see the old maps until the swap, the new ones after; the swap happens in
// one loop callback, so no request ever sees a mix. Any failure (HTTP,
// JSON, validation, a cost map built on another network map version)
// keeps the current maps and reports the error.
#pragma once

#include "core/loop.hpp"
#include "core/value.hpp"
#include "prox/alto_model.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sr::prox {

class AltoMaps : public AltoModel {
  public:
    // Throws sr::DecodeError naming what is wrong. `hopcount` may be null.
    static std::shared_ptr<const AltoMaps> from_json(const Value& networkmap, const Value& routingcost,
                                                     const Value* hopcount);

    std::vector<std::string> pids() const override { return pids_; }
    std::vector<Prefix> prefixes(const std::string& pid) const override;
    std::optional<double> pid_cost(const std::string& from, const std::string& to, Metric m) const override;
    std::optional<std::string> pid_of(const Address& a) const override;
    std::string version() const override { return version_; }

    const std::string& networkmap_tag() const { return tag_; }

  private:
    std::vector<std::string> pids_;
    std::unordered_map<std::string, std::size_t> index_;
    std::vector<std::vector<Prefix>> prefixes_;
    std::vector<std::pair<Prefix, std::size_t>> lpm_;  // longest first
    std::unordered_map<std::uint64_t, double> routing_, hops_;  // src * n + dst
    std::string tag_, version_;
};

class RemoteAltoModel : public AltoModel {
  public:
    // directory_url: the gateway's IRD, "http://198.51.100.1:8080/directory".
    RemoteAltoModel(Loop& loop, std::string directory_url, int timeout_s = 10);
    ~RemoteAltoModel() override;

    // Fetches and, when the maps changed, swaps them in; then done(changed,
    // error) runs in the loop (error empty on success). A refresh asked for
    // while one runs fails at once with "refresh in progress".
    using Done = std::function<void(bool changed, const std::string& error)>;
    void refresh(Done done);

    bool ready() const { return maps_ != nullptr; }
    std::shared_ptr<const AltoMaps> maps() const { return maps_; }

    // AltoModel: empty answers until the first successful refresh.
    std::vector<std::string> pids() const override;
    std::vector<Prefix> prefixes(const std::string& pid) const override;
    std::optional<double> pid_cost(const std::string& from, const std::string& to, Metric m) const override;
    std::optional<std::string> pid_of(const Address& a) const override;
    std::string version() const override;

  private:
    struct Refresh;
    void step(std::shared_ptr<Refresh> r);

    Loop& loop_;
    std::string directory_url_;
    int timeout_s_;
    std::shared_ptr<const AltoMaps> maps_;
    bool busy_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Resolves an IRD "uri" against the IRD's own URL (RFC 3986 §5, for the
// forms an IRD uses: absolute, "/path", "relative").
std::string resolve_alto_uri(const std::string& base, const std::string& uri);

}  // namespace sr::prox
