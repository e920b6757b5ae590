"""Replaces the contributed hook: phonenumbers' region metadata, without the geocoder,
carrier and time-zone data the app never uses (most of the package's size)."""

from PyInstaller.utils.hooks import collect_submodules

_UNUSED = (
    "phonenumbers.geocoder",
    "phonenumbers.geodata",
    "phonenumbers.carrier",
    "phonenumbers.carrierdata",
    "phonenumbers.timezone",
    "phonenumbers.tzdata",
)

hiddenimports = collect_submodules("phonenumbers", filter=lambda name: not name.startswith(_UNUSED))
