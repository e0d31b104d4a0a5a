// sr-sim's proximity-neighbour-selection mode (pns_sim.cpp): Pastry on the
// routers of a Topology Zoo graph, comparing neighbour selection policies.
#pragma once

namespace sr::sim {

// True when the arguments ask for the PNS mode (--graphml, --random-graph
// or --pns): sr-sim's main hands them to pns_main instead.
bool pns_requested(int argc, char** argv);
int pns_main(int argc, char** argv);

}  // namespace sr::sim
