# A network namespace joined to the host by a veth pair, for faults between
# Herald and a peer that runs inside it (PostgreSQL): sourced, never run.
# Needs root, iproute2 and iptables. Rules are added inside the namespace, so
# the host's own firewall is never touched, and removing the namespace
# removes them.

ensure_netns_tools() {
  [ "$(id -u)" -eq 0 ] || { echo "network namespaces need root" >&2; return 1; }
  local missing=()
  command -v ip >/dev/null || missing+=(iproute2)
  command -v iptables >/dev/null || missing+=(iptables)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# netns_create NAME HOST_ADDR NS_ADDR: the namespace, a /30 veth link between
# HOST_ADDR (host side) and NS_ADDR (inside), loopback up inside.
netns_create() {
  local name=$1 host_addr=$2 ns_addr=$3
  ip netns add "$name"
  ip link add "${name}h" type veth peer name "${name}n"
  ip link set "${name}n" netns "$name"
  ip addr add "$host_addr/30" dev "${name}h"
  ip link set "${name}h" up
  ip netns exec "$name" ip addr add "$ns_addr/30" dev "${name}n"
  ip netns exec "$name" ip link set "${name}n" up
  ip netns exec "$name" ip link set lo up
}

# netns_destroy NAME: kills what still runs inside (only this namespace's
# processes, which the caller started), removes the link and the namespace.
netns_destroy() {
  local name=$1 pid
  ip netns list 2>/dev/null | grep -qw "$name" || return 0
  for pid in $(ip netns pids "$name" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  ip link del "${name}h" 2>/dev/null || true
  ip netns del "$name" 2>/dev/null || true
}

# netns_partition NAME PORT: drops TCP to and from PORT inside the namespace,
# both ways: packets vanish (no reset), as on a cut link.
netns_partition() {
  ip netns exec "$1" iptables -w -I INPUT -p tcp --dport "$2" -j DROP
  ip netns exec "$1" iptables -w -I OUTPUT -p tcp --sport "$2" -j DROP
}

netns_heal() {
  ip netns exec "$1" iptables -w -D INPUT -p tcp --dport "$2" -j DROP 2>/dev/null || true
  ip netns exec "$1" iptables -w -D OUTPUT -p tcp --sport "$2" -j DROP 2>/dev/null || true
}

# pg_start_netns NAME DIR ADDR PORT [options]: a pg_start-like cluster in
# DIR/data that runs inside namespace NAME and listens on ADDR:PORT (TCP,
# trusted from the namespace's link) and on a Unix socket in DIR, which the
# host reaches whatever the firewall says (Unix sockets are not in a network
# namespace): the harness administers through it during a partition.
pg_start_netns() {
  local name=$1 dir=$2 addr=$3 port=$4; shift 4
  local bin; bin=$(pg_bindir)
  mkdir -p "$dir"; chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
    echo "host all all ${addr%.*}.0/24 trust" >>"$dir/data/pg_hba.conf"
  fi
  ip netns exec "$name" runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-k $dir -p $port -c listen_addresses='$addr' -c max_connections=200 $*" >/dev/null
}
