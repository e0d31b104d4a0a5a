# fish completion for sr-lookup(1)

set -l commands key get put remove route listen publish subscribe rank cost pid resolve

complete -c sr-lookup -f
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -s j -l json -d 'Print JSON Lines instead of TSV'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -s H -l header -d 'Print a header line before TSV records'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -l timeout -x -d 'Milliseconds to wait for an answer'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -l runtime-dir -x -a '(__fish_complete_directories)' -d 'Directory of the daemons\' sockets'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -s V -l version -d 'Print the version and exit'
complete -c sr-lookup -s h -l help -d 'Print help and exit'

complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a key -d 'Print the 128-bit key of names (no daemon needed)'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a get -d 'Print the values stored under names'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a put -d 'Store a value under a name'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a remove -d 'Remove the values put under names with a secret'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a route -d 'Print the overlay route to the root of names'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a listen -d 'Print the values of a name, then each change'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a rank -d 'Order candidate addresses by topological cost'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a cost -d 'Print the topological cost between two addresses'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a pid -d 'Print the router (PID) of addresses'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a resolve -d 'Print the live instances of services, nearest first'

complete -c sr-lookup -n "__fish_seen_subcommand_from key get put remove route listen" -l ns -x -a 'svc obj topic kv' -d 'Namespace the names are hashed in'
complete -c sr-lookup -n "__fish_seen_subcommand_from key get put remove route listen" -l key -x -d 'Use this 128-bit key (32 hex digits)'
complete -c sr-lookup -n "__fish_seen_subcommand_from listen" -s n -l count -x -d 'Exit after this many events'
complete -c sr-lookup -n "__fish_seen_subcommand_from rank" -s f -l from -x -d 'The address to rank from'
complete -c sr-lookup -n "__fish_seen_subcommand_from rank" -s n -l top -x -d 'Print only the N nearest'
complete -c sr-lookup -n "__fish_seen_subcommand_from resolve" -s n -l top -x -d 'Print only the N nearest of each'
complete -c sr-lookup -n "__fish_seen_subcommand_from get" -s a -l all -d 'Print every value, not just the newest'
complete -c sr-lookup -n "__fish_seen_subcommand_from put" -s t -l ttl -x -d 'Seconds to live'
complete -c sr-lookup -n "__fish_seen_subcommand_from put remove" -s s -l secret -x -d 'Secret required by remove'
complete -c sr-lookup -n "__fish_seen_subcommand_from put" -l vid -x -d 'Value id: replaces an earlier value with that id'

complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a publish -d 'Publish a message on a topic (sr-eventd)'
complete -c sr-lookup -n "not __fish_seen_subcommand_from $commands" -a subscribe -d 'Print the messages of topics as they arrive (sr-eventd)'
complete -c sr-lookup -n "__fish_seen_subcommand_from publish" -l retain -d 'Keep it as the topic\'s current state'
complete -c sr-lookup -n "__fish_seen_subcommand_from subscribe" -l since -x -d 'Replay from this sequence number'
complete -c sr-lookup -n "__fish_seen_subcommand_from subscribe" -s n -l count -x -d 'Exit after this many messages'
