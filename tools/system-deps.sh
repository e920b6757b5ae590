#!/bin/sh
# Debian packages the app and its tests need on a bare machine: Qt's offscreen platform
# (EGL, fontconfig, xkbcommon, fonts) and poppler-utils for turning PDFs into pictures;
# binutils (objcopy, objdump) for PyInstaller and desktop-file-utils to check the menu
# entry (make bundle, make dist-check); PostgreSQL server, contrib (unaccent, pg_trgm) and
# client (pg_dump) for the shared-server half of the suite (issue 10).
set -eu
packages="libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3 fonts-dejavu-core poppler-utils binutils desktop-file-utils postgresql postgresql-contrib postgresql-client"
command -v dpkg >/dev/null 2>&1 || exit 0
missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "missing Debian packages:$missing (install them with: sudo apt-get install$missing)" >&2
    exit 1
fi
