#!/bin/sh
# A throw-away PostgreSQL server for the test suite (issue 10), on 127.0.0.1 only.
#
#   sh tools/pg-test-server.sh start        # prints the superuser URL the tests use
#   sh tools/pg-test-server.sh stop PORT    # the port of that URL
#
# The port is a free one picked at start, so two test runs on one machine each have their
# own server; PRIVACYCRM_TEST_PG_PORT fixes it instead (then a server already running there
# is reused).
#
# Uses Debian's PostgreSQL (tools/system-deps.sh installs it). initdb refuses to run as
# root, so as root the server runs as the postgres user; as anyone else, as that user.
# The data lives in a temporary folder outside the work tree, in memory (/dev/shm) where the
# machine has it: on a disk, creating and dropping a database per test costs half a second
# of file work each, in memory 20 ms. Durability settings are off (tests never crash the
# server, and nothing there outlives the run). PRIVACYCRM_TEST_PG_DIR picks the folder. Host connections
# need a password (scram-sha-256), so per-user roles really authenticate. Every statement
# is logged (log_statement=all): tests/e2e/test_pg_least_privilege.py checks that no
# password reaches the log (the app sends SCRAM verifiers, never a password).
set -eu
PORT="${PRIVACYCRM_TEST_PG_PORT:-}"
if [ "${1:-start}" = stop ] && [ -n "${2:-}" ]; then
    PORT="$2"
fi
PASSWORD="pgtest-superuser"
bindir=""
for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && bindir="$d"
done
if [ -z "$bindir" ]; then
    echo "PostgreSQL server binaries not found (apt-get install postgresql postgresql-contrib)" >&2
    exit 1
fi

as_server_user() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$1"
    else
        sh -c "$1"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Where the server's folder goes: PRIVACYCRM_TEST_PG_DIR, else /dev/shm when writable,
# else TMPDIR.
base_dir() {
    if [ -n "${PRIVACYCRM_TEST_PG_DIR:-}" ]; then
        echo "$PRIVACYCRM_TEST_PG_DIR"
    elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
        echo /dev/shm
    else
        echo "${TMPDIR:-/tmp}"
    fi
}

url() {
    echo "postgresql://postgres:$PASSWORD@127.0.0.1:$PORT/postgres"
}

case "${1:-start}" in
start)
    [ -n "$PORT" ] || PORT="$(free_port)"
    BASE="$(base_dir)/privacycrm-pgtest-$PORT"
    if [ -f "$BASE/data/postmaster.pid" ] && as_server_user "'$bindir/pg_ctl' -D '$BASE/data' status" >/dev/null 2>&1; then
        url
        exit 0
    fi
    rm -rf "$BASE"
    mkdir -p "$BASE"
    printf '%s\n' "$PASSWORD" >"$BASE/pwfile"
    [ "$(id -u)" = 0 ] && chown -R postgres "$BASE"
    as_server_user "'$bindir/initdb' -D '$BASE/data' -U postgres --pwfile='$BASE/pwfile' \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >'$BASE/initdb.log' 2>&1" || {
        cat "$BASE/initdb.log" >&2
        exit 1
    }
    as_server_user "'$bindir/pg_ctl' -D '$BASE/data' -l '$BASE/server.log' -w -o \
        \"-p $PORT -k '$BASE' -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off \
        -c synchronous_commit=off -c max_connections=200 -c shared_buffers=128MB -c max_wal_size=256MB \
        -c log_statement=all\" start >/dev/null" || {
        cat "$BASE/server.log" >&2
        exit 1
    }
    url
    ;;
stop)
    if [ -z "$PORT" ]; then
        echo "usage: $0 stop PORT" >&2
        exit 2
    fi
    BASE="$(base_dir)/privacycrm-pgtest-$PORT"
    if [ -d "$BASE/data" ]; then
        as_server_user "'$bindir/pg_ctl' -D '$BASE/data' -m fast stop >/dev/null" || true
    fi
    rm -rf "$BASE"
    ;;
bindir)
    echo "$bindir"
    ;;
basedir)
    base_dir
    ;;
*)
    echo "usage: $0 start|stop|bindir|basedir" >&2
    exit 2
    ;;
esac
