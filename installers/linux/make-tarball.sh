#!/bin/sh
# Stage the Linux tarball's folder from the PyInstaller bundle (dist/privacycrm), then pack it:
#   sh installers/linux/make-tarball.sh VERSION            -> dist/privacycrm-VERSION-linux-ARCH.tar.gz
#   sh installers/linux/make-tarball.sh VERSION --stage    only build/tarball/privacycrm-VERSION-linux-ARCH/
# Run from the checkout's root (make dist does). Prints the path it made.
set -eu
version=${1:?usage: make-tarball.sh VERSION [--stage]}
name=privacycrm-$version-linux-$(uname -m)
stage=build/tarball/$name
[ -x dist/privacycrm/privacycrm ] || { echo "make-tarball.sh: build dist/privacycrm first (make dist)" >&2; exit 1; }
rm -rf "$stage"
mkdir -p "$stage/share"
# Hard links where the file system allows: staging 200 MB costs no copy.
cp -al dist/privacycrm "$stage/privacycrm" 2>/dev/null || cp -a dist/privacycrm "$stage/privacycrm"
cp installers/linux/install.sh "$stage/install.sh"
chmod 755 "$stage/install.sh"
cp installers/linux/privacycrm.desktop installers/linux/privacycrm.svg "$stage/share/"
cat >"$stage/README.txt" <<TEXT
PrivacyCRM Desktop $version for Linux ($(uname -m))

Install for yourself:      ./install.sh
Install for every user:    sudo ./install.sh --system
Remove:                    ./install.sh --uninstall   (or the installed uninstall.sh)
Check an installation:     privacycrm --self-test

Or run it in place, without installing: ./privacycrm/privacycrm
The command line is ./privacycrm/privacycrm-cli (see --help).
TEXT
if [ "${2:-}" = "--stage" ]; then
    echo "$stage"
    exit 0
fi
tar -C build/tarball -czf "dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz"
