# fish completion for sr-ctl(8)

set -l commands status reload call stats dht prox cache service event stream

function __sr_ctl_call_args
    # The operands after "call" on the command line so far.
    set -l tokens (commandline -opc)
    set -l seen 0
    set -l args
    for t in $tokens[2..-1]
        if test $seen -eq 1
            string match -q -- '-*' $t; or set -a args $t
        else if test "$t" = call
            set seen 1
        end
    end
    printf '%s\n' $args
end

function __sr_ctl_call_nargs
    test (count (__sr_ctl_call_args)) -eq $argv[1]
end

function __sr_ctl_methods
    set -l daemon (__sr_ctl_call_args)[1]
    set -l tokens (commandline -opc)
    set -l rundir
    set -l i (contains -i -- --runtime-dir $tokens)
    and set rundir --runtime-dir $tokens[(math $i + 1)]
    if command -q jq; and command -q sr-ctl
        set -l live (sr-ctl $rundir --timeout 1000 -j call $daemon sys.api 2>/dev/null | jq -r '.methods[].name' 2>/dev/null)
        if test (count $live) -gt 0
            printf '%s\n' $live
            return
        end
    end
    printf '%s\n' sys.ping sys.version sys.api sys.status sys.stats sys.reload
    switch $daemon
        case dht dhtd sr-dhtd '*/dhtd.sock'
            printf '%s\n' dht.put dht.get dht.remove dht.trace dht.listen dht.app_register dht.route dht.send \
                dht.info dht.leafset dht.routes dht.keys dht.replica_set
        case prox proxd sr-proxd '*/proxd.sock'
            printf '%s\n' prox.cost prox.cost_batch prox.rank prox.pid prox.pid_batch \
                prox.peers prox.summary prox.route prox.map prox.igp prox.refresh
        case cache cached sr-cached '*/cached.sock'
            printf '%s\n' cache.stats cache.list cache.stat cache.purge \
                service.register service.withdraw service.list service.resolve
        case event eventd sr-eventd '*/eventd.sock'
            printf '%s\n' event.publish event.subscribe event.unsubscribe event.topics event.tree event.stats
        case stream streamd sr-streamd '*/streamd.sock'
            printf '%s\n' stream.list stream.live
    end
end

complete -c sr-ctl -f
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -s j -l json -d 'Print JSON Lines instead of TSV'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -s H -l header -d 'Print a header line before TSV records'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -l timeout -x -d 'Milliseconds to wait for an answer'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -l runtime-dir -x -a '(__fish_complete_directories)' -d 'Directory of the daemons\' sockets'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -s V -l version -d 'Print the version and exit'
complete -c sr-ctl -s h -l help -d 'Print help and exit'

complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -a status -d 'Show every daemon found in the runtime directory'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -a reload -d 'Make a daemon read its configuration again'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -a call -d 'Call any RPC method'
complete -c sr-ctl -n "__fish_seen_subcommand_from status" -s a -l all -d 'Every runtime directory (operands, or SR_RUNTIME_DIR entries)'
complete -c sr-ctl -n "__fish_seen_subcommand_from reload" -a 'dhtd proxd cached streamd eventd' -d 'Daemon'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -a stats -d 'Counters of every daemon; OpenMetrics; live rates'
complete -c sr-ctl -n "__fish_seen_subcommand_from stats" -a 'dhtd proxd cached streamd eventd' -d 'Daemon'
complete -c sr-ctl -n "__fish_seen_subcommand_from stats" -l openmetrics -d 'OpenMetrics text'
complete -c sr-ctl -n "__fish_seen_subcommand_from stats" -l prometheus -d 'Prometheus text format (promtool, node_exporter)'
complete -c sr-ctl -n "__fish_seen_subcommand_from stats" -s i -l interval -x -d 'Report per-second rates every SECONDS'
complete -c sr-ctl -n "__fish_seen_subcommand_from stats" -s c -l count -x -d 'Stop after N reports'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -a dht -d 'Show the state of sr-dhtd'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -a prox -d 'Show the state of sr-proxd'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -a cache -d 'Inspect and purge the store of sr-cached'
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -a service -d 'Register, withdraw and list service instances'

complete -c sr-ctl -n "__fish_seen_subcommand_from dht; and not __fish_seen_subcommand_from info leafset routes keys" -a info -d 'This node: id, address, sizes'
complete -c sr-ctl -n "__fish_seen_subcommand_from dht; and not __fish_seen_subcommand_from info leafset routes keys" -a leafset -d 'The leaf set'
complete -c sr-ctl -n "__fish_seen_subcommand_from dht; and not __fish_seen_subcommand_from info leafset routes keys" -a routes -d 'The routing table'
complete -c sr-ctl -n "__fish_seen_subcommand_from dht; and not __fish_seen_subcommand_from info leafset routes keys" -a keys -d 'Stored keys'

complete -c sr-ctl -n "__fish_seen_subcommand_from prox; and not __fish_seen_subcommand_from peers igp summary route refresh map" -a peers -d 'BGP peers and their sessions'
complete -c sr-ctl -n "__fish_seen_subcommand_from prox; and not __fish_seen_subcommand_from peers igp summary route refresh map" -a summary -d 'What the topology holds'
complete -c sr-ctl -n "__fish_seen_subcommand_from prox; and not __fish_seen_subcommand_from peers igp summary route refresh map" -a route -d 'The routes matching a prefix or address'
complete -c sr-ctl -n "__fish_seen_subcommand_from prox; and not __fish_seen_subcommand_from peers igp summary route refresh map" -a map -d 'The network map'
complete -c sr-ctl -n "__fish_seen_subcommand_from prox; and not __fish_seen_subcommand_from peers igp summary route refresh map" -a refresh -d 'Ask BGP peers to send their routes again'
complete -c sr-ctl -n "__fish_seen_subcommand_from prox; and not __fish_seen_subcommand_from peers igp summary route refresh map" -a igp -d 'OSPF adjacencies, or the LSDB'
complete -c sr-ctl -n "__fish_seen_subcommand_from prox; and __fish_seen_subcommand_from igp" -l lsdb -d 'The link-state database instead of the adjacencies'

set -l cache_views list stat purge stats
complete -c sr-ctl -n "__fish_seen_subcommand_from cache; and not __fish_seen_subcommand_from $cache_views" -a list -d 'Stored objects under a URL prefix'
complete -c sr-ctl -n "__fish_seen_subcommand_from cache; and not __fish_seen_subcommand_from $cache_views" -a stat -d 'What is stored for URLs'
complete -c sr-ctl -n "__fish_seen_subcommand_from cache; and not __fish_seen_subcommand_from $cache_views" -a purge -d 'Drop URLs and their replica pointers'
complete -c sr-ctl -n "__fish_seen_subcommand_from cache; and not __fish_seen_subcommand_from $cache_views" -a stats -d 'Counters of the cache'
complete -c sr-ctl -n "__fish_seen_subcommand_from cache; and __fish_seen_subcommand_from list" -s n -l limit -x -d 'At most this many'
complete -c sr-ctl -n "__fish_seen_subcommand_from cache; and __fish_seen_subcommand_from list" -l after -x -d 'Only URLs after this one (paging)'
complete -c sr-ctl -n "__fish_seen_subcommand_from cache; and __fish_seen_subcommand_from purge" -s p -l prefix -d 'Each operand is a URL prefix'

set -l service_actions register withdraw list
complete -c sr-ctl -n "__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from $service_actions" -a register -d 'Publish an instance of a service'
complete -c sr-ctl -n "__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from $service_actions" -a withdraw -d 'Withdraw this node\'s instances of a service'
complete -c sr-ctl -n "__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from $service_actions" -a list -d 'This node\'s registrations'
complete -c sr-ctl -n "__fish_seen_subcommand_from service; and __fish_seen_subcommand_from register" -s t -l ttl -x -d 'Seconds a descriptor lives in the DHT'
complete -c sr-ctl -n "__fish_seen_subcommand_from service; and __fish_seen_subcommand_from register" -s q -l qos -x -a 'gold silver bronze' -d 'QoS class of the flows'
complete -c sr-ctl -n "__fish_seen_subcommand_from service; and __fish_seen_subcommand_from register" -s a -l attr -x -d 'KEY=VALUE attribute'

complete -c sr-ctl -n "__fish_seen_subcommand_from call; and __sr_ctl_call_nargs 0" -a 'dhtd proxd cached streamd eventd' -d 'Daemon'
complete -c sr-ctl -n "__fish_seen_subcommand_from call; and __sr_ctl_call_nargs 0" -F
complete -c sr-ctl -n "__fish_seen_subcommand_from call; and __sr_ctl_call_nargs 1" -a '(__sr_ctl_methods)' -d 'Method'
complete -c sr-ctl -n "__fish_seen_subcommand_from call; and __sr_ctl_call_nargs 2" -a '- {}' -d 'JSON params'

set -l event_views topics tree stats
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -a event -d 'Show the state of sr-eventd'
complete -c sr-ctl -n "__fish_seen_subcommand_from event; and not __fish_seen_subcommand_from $event_views" -a topics -d 'The topics this node takes part in'
complete -c sr-ctl -n "__fish_seen_subcommand_from event; and not __fish_seen_subcommand_from $event_views" -a tree -d 'This node\'s place in a topic\'s tree'
complete -c sr-ctl -n "__fish_seen_subcommand_from event; and not __fish_seen_subcommand_from $event_views" -a stats -d 'Counters of sr-eventd'
set -l stream_views list live stats
complete -c sr-ctl -n "not __fish_seen_subcommand_from $commands" -a stream -d 'Show the titles, live channels and counters of sr-streamd'
complete -c sr-ctl -n "__fish_seen_subcommand_from stream; and not __fish_seen_subcommand_from $stream_views" -a list -d 'The titles and their renditions'
complete -c sr-ctl -n "__fish_seen_subcommand_from stream; and not __fish_seen_subcommand_from $stream_views" -a stats -d 'Counters of sr-streamd'
complete -c sr-ctl -n "__fish_seen_subcommand_from stream; and not __fish_seen_subcommand_from $stream_views" -a live -d 'The live channels'
