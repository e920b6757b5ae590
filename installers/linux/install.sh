#!/bin/sh
# Install PrivacyCRM Desktop from this unpacked tarball, or remove it again.
#
#   ./install.sh                  for you only: the program in ~/.local/opt/privacycrm,
#                                 privacycrm and privacycrm-cli linked in ~/.local/bin
#   sudo ./install.sh --system    for everyone: /opt/privacycrm, links in /usr/local/bin
#   ./install.sh --uninstall      remove it again (add --system for a system install);
#                                 an installed copy also has .../privacycrm/uninstall.sh
#
# Options: --prefix DIR  the folder that receives privacycrm/ (default ~/.local/opt or /opt)
#          --bindir DIR  where the two commands are linked (~/.local/bin or /usr/local/bin)
#          --datadir DIR where applications/ and icons/ are (~/.local/share or
#                        /usr/local/share)
# The desktop entry and the icon are installed too. Your contacts (the database in
# ~/.local/share/PrivacyCRM) are never touched, neither by installing nor by uninstalling.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
mode=user
action=install
prefix=""
bindir=""
datadir=""
[ "$(basename "$0")" = "uninstall.sh" ] && action=uninstall

usage() {
    sed -n '2,16s/^# \{0,1\}//p' "$0"
}

die() {
    echo "install.sh: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
        --system) mode=system ;;
        --user) mode=user ;;
        --uninstall) action=uninstall ;;
        --prefix) [ $# -ge 2 ] || die "--prefix needs a folder"; prefix=$2; shift ;;
        --bindir) [ $# -ge 2 ] || die "--bindir needs a folder"; bindir=$2; shift ;;
        --datadir) [ $# -ge 2 ] || die "--datadir needs a folder"; datadir=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

# An installed copy remembers where it put its links (uninstall.sh run from inside it).
if [ -f "$here/.install-paths" ] && [ "$action" = uninstall ] && [ -z "$prefix$bindir$datadir" ]; then
    # shellcheck disable=SC1091
    . "$here/.install-paths"
    prefix=$(dirname "$here")
fi

if [ "$mode" = system ]; then
    : "${prefix:=/opt}" "${bindir:=/usr/local/bin}" "${datadir:=/usr/local/share}"
else
    if [ "$(id -u)" = 0 ] && [ "$HOME" = /root ] && [ "$action" = install ]; then
        echo "install.sh: installing for root only; use --system to install for everyone" >&2
    fi
    : "${prefix:=$HOME/.local/opt}" "${bindir:=$HOME/.local/bin}"
    : "${datadir:=${XDG_DATA_HOME:-$HOME/.local/share}}"
fi
case "$prefix" in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
target=$prefix/privacycrm
marker=.privacycrm-install
desktop=$datadir/applications/privacycrm.desktop
icon=$datadir/icons/hicolor/scalable/apps/privacycrm.svg

refresh_desktop() {
    # Menus and icon caches pick the change up; neither tool is required.
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$datadir/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$datadir/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$datadir/icons/hicolor" 2>/dev/null || true
    fi
}

remove_link() {
    # Only our own links: never a file or a link to something else.
    if [ -L "$1" ]; then
        case "$(readlink "$1")" in
            "$target"/*) rm -f "$1" ;;
            *) echo "install.sh: left $1 alone (it points elsewhere)" >&2 ;;
        esac
    fi
}

if [ "$action" = uninstall ]; then
    [ -d "$target" ] || die "PrivacyCRM is not installed in $target"
    [ -f "$target/$marker" ] || die "$target was not installed by this script; not removing it"
    remove_link "$bindir/privacycrm"
    remove_link "$bindir/privacycrm-cli"
    if [ -f "$desktop" ] && grep -qF "Exec=\"$target/privacycrm\"" "$desktop"; then
        rm -f "$desktop"
    fi
    rm -f "$icon"
    rm -rf "$target"
    refresh_desktop
    echo "PrivacyCRM removed from $target. Your data folder was left as it was."
    exit 0
fi

[ -x "$here/privacycrm/privacycrm" ] && [ -x "$here/privacycrm/privacycrm-cli" ] ||
    die "run me from the unpacked tarball (privacycrm/privacycrm is missing next to me)"
if [ -e "$target" ] && [ ! -f "$target/$marker" ]; then
    die "$target exists and was not installed by this script; remove it or choose --prefix"
fi
for name in privacycrm privacycrm-cli; do
    if [ -e "$bindir/$name" ] && [ ! -L "$bindir/$name" ]; then
        die "$bindir/$name exists and is not our link; remove it or choose --bindir"
    fi
done

mkdir -p "$prefix" "$bindir" "$datadir/applications" "$(dirname "$icon")"
# Copy next to the old copy, then swap, so a failed copy leaves the old one working.
rm -rf "$target.new" "$target.old"
cp -R "$here/privacycrm" "$target.new"
cp "$here/install.sh" "$target.new/uninstall.sh"
chmod 755 "$target.new/uninstall.sh"
{
    echo "mode=$mode"
    echo "bindir='$bindir'"
    echo "datadir='$datadir'"
} >"$target.new/.install-paths"
echo "PrivacyCRM Desktop, installed by install.sh" >"$target.new/$marker"
[ -e "$target" ] && mv "$target" "$target.old"
mv "$target.new" "$target"
rm -rf "$target.old"
if [ "$mode" = system ]; then
    chmod -R a+rX,go-w "$target"
fi

ln -sfn "$target/privacycrm" "$bindir/privacycrm"
ln -sfn "$target/privacycrm-cli" "$bindir/privacycrm-cli"
# The menu entry starts the installed program by its full path (~/.local/bin is not on
# every desktop session's PATH).
# Quoted, so that a folder with spaces works too (Desktop Entry spec, "Exec key").
sed -e "s|^Exec=privacycrm|Exec=\"$target/privacycrm\"|" \
    -e "/^Exec=/a TryExec=$target/privacycrm" \
    "$here/share/privacycrm.desktop" >"$desktop"
cp "$here/share/privacycrm.svg" "$icon"
chmod 644 "$desktop" "$icon"
refresh_desktop

echo "PrivacyCRM installed in $target"
echo "  commands: $bindir/privacycrm, $bindir/privacycrm-cli"
echo "  menu entry: $desktop"
echo "  remove it with: $target/uninstall.sh"
case ":$PATH:" in
    *":$bindir:"*) ;;
    *) echo "  note: $bindir is not on your PATH; add it, or start $target/privacycrm" ;;
esac
