#!/usr/bin/env bash
# Starts or stops the database engines the store suite runs against (hosts/store-suite):
# PostgreSQL and a Redis Cluster of 3 masters and 3 replicas, on loopback ports that were free,
# with their data under target/engines/. Under CI=true a missing engine is installed with apt-get.
#
#   bash ci/engines.sh start   # then: set -a; . target/engines/env; set +a
#   bash ci/engines.sh stop    # idempotent; also cleans up after a failed start
#
# `start` writes target/engines/env, the variables the suite's tests read
# (BLINDPOST_POSTGRES_*, BLINDPOST_REDIS_*). To run the suite against engines of your own, set
# those variables yourself instead (README.md, "Choosing a store").
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/engines
engines=(postgres redis-cluster)

case "${1:-}" in
start)
    mkdir -p "$dir"
    rm -f "$dir/env"
    for e in "${engines[@]}"; do
        bash "ci/engines/$e.sh" start
        cat "$dir/$e.env" >>"$dir/env"
    done
    ;;
stop)
    status=0
    for e in "${engines[@]}"; do
        bash "ci/engines/$e.sh" stop || status=1
    done
    rm -f "$dir/env"
    exit "$status"
    ;;
*)
    echo "usage: ci/engines.sh start|stop" >&2
    exit 2
    ;;
esac
