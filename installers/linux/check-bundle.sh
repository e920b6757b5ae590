#!/bin/sh
# What CI checks on the built bundle (make dist-check, part of make test):
#   1. dist/privacycrm/privacycrm --self-test (migrate, add a contact, access report, window);
#   2. dist/privacycrm/privacycrm-cli --help and its self-test (the same without the window);
#   3. install.sh into a throw-away home from the staged tarball folder, run the installed
#      commands, check the menu entry and icon, then uninstall and check nothing is left.
# Run from the checkout's root with the version as the only argument.
set -eu
version=${1:?usage: check-bundle.sh VERSION}
bundle=dist/privacycrm
fail() {
    echo "check-bundle.sh: $*" >&2
    exit 1
}

start=$(date +%s)
"$bundle/privacycrm" --self-test || fail "the bundle's self-test failed"
"$bundle/privacycrm-cli" --help >/dev/null || fail "privacycrm-cli --help failed"
"$bundle/privacycrm-cli" self-test || fail "privacycrm-cli self-test failed"
size=$(du -sm "$bundle" | cut -f1)
echo "bundle: $size MB in $bundle"

stage=$(sh installers/linux/make-tarball.sh "$version" --stage)
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
(
    export HOME="$home"
    unset XDG_DATA_HOME
    sh "$stage/install.sh" >/dev/null
    test -x "$home/.local/opt/privacycrm/privacycrm" || fail "install.sh did not copy the program"
    test -L "$home/.local/bin/privacycrm" || fail "install.sh did not link privacycrm"
    "$home/.local/bin/privacycrm-cli" --help >/dev/null || fail "the installed CLI does not run"
    entry=$home/.local/share/applications/privacycrm.desktop
    grep -qxF "Exec=\"$home/.local/opt/privacycrm/privacycrm\" %F" "$entry" ||
        fail "the menu entry does not start the installed program"
    if command -v desktop-file-validate >/dev/null 2>&1; then
        desktop-file-validate "$entry" || fail "the installed menu entry is not valid"
    fi
    test -f "$home/.local/share/icons/hicolor/scalable/apps/privacycrm.svg" ||
        fail "install.sh did not install the icon"
    sh "$stage/install.sh" >/dev/null  # again: an upgrade in place
    "$home/.local/opt/privacycrm/uninstall.sh" >/dev/null
    # (update-desktop-database's cache is the desktop's, not ours)
    left=$(find "$home" -mindepth 1 -not -type d -not -name mimeinfo.cache | head -n 1)
    [ -z "$left" ] || fail "uninstall left $left behind"
)
rm -rf "$stage"
echo "install.sh: installed, upgraded and uninstalled in a throw-away home"
echo "dist-check passed in $(( $(date +%s) - start )) s"
