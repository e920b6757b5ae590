"""A vCard file's text cleaned into cards vobject reads: the pre-pass, not a parser.

vobject reads 2.1, 3.0 and 4.0, but real files hold shapes it refuses or misreads, and
one refused property loses the whole card. This pre-pass puts them right first:

- line ends: iOS writes CR CR LF; blank lines and ``#`` comment lines are dropped;
- continuation lines: 3.0 folding, 2.1 quoted-printable soft line breaks ("=" at the end
  of a line, no leading space; kept for ``quopri`` to undo as RFC 2045 reads them, across
  a folded line and over blank lines), a 2.1 value continued after a backslash, a NOTE or
  ADR with raw line breaks, and base64 lines written without the leading space;
- encodings: quoted-printable (in any case, with or without CHARSET: UTF-8 when the
  bytes are UTF-8, else the file's encoding) and base64 text values are decoded here, and
  a CHARSET such as SHIFT_JIS re-reads a raw value the file's 8-bit encoding misread;
- bare commas in 2.1 values and in FN, NOTE and TITLE are escaped (vobject would keep
  only the text before the first one);
- only the properties the import reads are handed on: a PHOTO (``data:`` URI or broken
  base64), an unknown X- property, ``PROFILE:VCard`` or a property vobject does not know
  cannot break a card the import takes nothing from;
- cards nest: an AGENT's card is left out (the agent is no contact of ours), a card
  nested without AGENT is a card of its own (as Android reads it), and a card whose END
  is missing still counts. Cards are numbered in the order they begin.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import quopri
import re
import unicodedata
from dataclasses import dataclass, field

#: Properties with no field of their own that are kept in the notes, with their label.
NOTED_PROPERTIES = {
    "NICKNAME": "Nickname",
    "ROLE": "Role",
    "URL": "Website",
    "ANNIVERSARY": "Anniversary",
    "X-ANNIVERSARY": "Anniversary",
    "X-ABDATE": "Date",
    "X-ABRELATEDNAMES": "Related",
    "RELATED": "Related",
    "X-SPOUSE": "Spouse",
    "X-MS-SPOUSE": "Spouse",
    "IMPP": "Chat",
    "X-AIM": "AIM",
    "X-JABBER": "Jabber",
    "X-SKYPE": "Skype",
    "X-SKYPE-USERNAME": "Skype",
    "X-ICQ": "ICQ",
    "X-MSN": "MSN",
    "X-YAHOO": "Yahoo",
    "X-GOOGLE-TALK": "Google Talk",
    "X-TWITTER": "Twitter",
    "X-SOCIALPROFILE": "Profile",
}
#: The properties the import reads (with VERSION, which decides how values are escaped).
READ_PROPERTIES = frozenset(
    {"VERSION", "FN", "N", "ORG", "ADR", "EMAIL", "TEL", "BDAY", "LANG", "NOTE", "KIND", "UID"}
    | {"TITLE", "LABEL", "X-ABSHOWAS", "X-ADDRESSBOOKSERVER-KIND", "CATEGORIES"}
    | set(NOTED_PROPERTIES)
)
#: Single-text properties in which a comma is never a separator.
_TEXT_PROPERTIES = frozenset({"FN", "NOTE", "TITLE"})
#: A property line: optional group, name, parameters (a quoted one may hold ";" or ":"),
#: colon. The value follows.
_PROPERTY = re.compile(
    r'^[ \t]*(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)[ \t]*((?:;(?:[^";:]|"[^"]*")*)*):'
)
#: The same with a quote never closed: the parameters end at the first colon.
_LOOSE_PROPERTY = re.compile(r"^[ \t]*(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)[ \t]*((?:;[^:]*)?):")
_PARAM = re.compile(r';((?:[^";]|"[^"]*")*)')
#: Properties whose text may run over lines written without folding.
_MULTILINE_TEXT = frozenset({"NOTE", "ADR", "LABEL"})
_BARE_COMMA = re.compile(r"(?<!\\),")
#: Characters a joined file may open a line with: byte-order marks, zero-width spaces.
INVISIBLE = "\ufeff\u200b\u2060"
_ONE_BYTE_ENCODINGS = frozenset({"cp1252", "iso-8859-1", "latin-1", "windows-1252"})


@dataclass
class Property:
    """One property line, split: group, upper-case name, raw parameters and value."""

    group: str
    name: str
    params: list[str]
    value: str

    def param_values(self, key: str) -> list[str]:
        """The values of parameter *key* (case-insensitive), commas split."""
        found: list[str] = []
        for param in self.params:
            name, equals, value = param.partition("=")
            if equals and name.strip().upper() == key:
                found += [v.strip().strip('"') for v in value.split(",")]
        return found

    def bare(self) -> list[str]:
        """The 2.1 parameters written without a name ("WORK", "PREF", "QUOTED-PRINTABLE")."""
        return [p.strip().upper() for p in self.params if "=" not in p]

    def line(self) -> str:
        """The property written back as one (unfolded) line."""
        head = f"{self.group}.{self.name}" if self.group else self.name
        return ";".join([head, *self.params]) + ":" + self.value


def split_property(line: str) -> Property | None:
    """The line as a property, or None when it is no property line."""
    match = _PROPERTY.match(line) or _LOOSE_PROPERTY.match(line)
    if match is None:
        return None
    params = [p for p in _PARAM.findall(match[3]) if p.strip()]
    return Property(match[1] or "", match[2].upper(), params, line[match.end() :])


def _is_quoted_printable(prop: Property) -> bool:
    return "QUOTED-PRINTABLE" in prop.bare() or any(
        v.upper() == "QUOTED-PRINTABLE" for v in prop.param_values("ENCODING")
    )


def _is_base64(prop: Property) -> bool:
    return bool({"BASE64", "B"} & set(prop.bare())) or any(
        v.upper() in ("B", "BASE64") for v in prop.param_values("ENCODING")
    )


def logical_lines(text: str) -> list[str]:
    """The text's lines with every kind of continuation joined and comments dropped."""
    # A byte-order mark or zero-width space opening a line (files joined together) is
    # no part of it: "\ufeffBEGIN:VCARD" begins a card.
    raw = [line.lstrip(INVISIBLE) for line in text.replace("\r\r\n", "\r\n").splitlines()]
    lines: list[str] = []
    binary = False
    quoted = False
    version_21 = False
    index = 0
    while index < len(raw):
        line = raw[index]
        index += 1
        if not line.strip():
            continue
        prop = split_property(line)
        if lines and line[:1] in (" ", "\t"):
            # vCard 3.0 and 4.0 fold by inserting a line break and one space; 2.1 breaks
            # a line before white space that belongs to the value.
            lines[-1] += line if version_21 and not binary else line[1:]
            if quoted:
                # A folded quoted-printable line may end in a soft line break too.
                lines[-1], index = _soft_breaks_joined(lines[-1], raw, index)
            continue
        if prop is not None and prop.name == "BEGIN":
            version_21 = False
        elif prop is not None and prop.name == "VERSION":
            version_21 = prop.value.strip() == "2.1"
        if lines and prop is None and binary:
            # Base64 lines written without the folding space belong to the value above.
            lines[-1] += line.strip()
            continue
        if line.startswith("#"):
            continue
        if prop is None and _head_folded(raw, index, line, keep_space=version_21 and not binary):
            # A property whose parameters are folded inside a quoted value (vCard 4.0's
            # ADR;LABEL="..."): its continuation lines follow, it belongs to no line above.
            binary = quoted = False
            lines.append(line)
            continue
        if lines and prop is None and (glued := _glued(lines[-1], line)) is not None:
            lines[-1] = glued
            continue
        binary = prop is not None and _is_base64(prop)
        quoted = prop is not None and _is_quoted_printable(prop)
        if quoted:
            line, index = _soft_breaks_joined(line, raw, index)
        lines.append(line)
    return lines


def _soft_break(line: str) -> bool:
    return line.rstrip(" \t").endswith("=")


def _soft_breaks_joined(line: str, raw: list[str], index: int) -> tuple[str, int]:
    """A quoted-printable value's line with the lines its soft line breaks continue on
    (from ``raw[index]``), and the index of the line after them. The breaks are kept,
    for ``quopri`` to undo as RFC 2045 reads them ("=" at the end of a line, white space
    after it deleted: transport added it). Blank lines after a soft break hold none of
    the value (a file whose line ends were doubled), unless a property follows them:
    then the value ended there."""
    while _soft_break(line) and index < len(raw):
        following = index
        while following < len(raw) and not raw[following].strip():
            following += 1
        if following == len(raw):
            break
        if following > index and _begins_a_property(raw[following]):
            break
        line = line.rstrip(" \t") + "\r\n" + raw[following]
        index = following + 1
    return line, index


def _begins_a_property(line: str) -> bool:
    prop = split_property(line)
    return prop is not None and (prop.name in READ_PROPERTIES or prop.name in ("BEGIN", "END"))


def _glued(above: str, line: str) -> str | None:
    """*above* with *line* (no property) joined to it as a line break in its value, or
    None when *line* belongs to no property above."""
    if _ends_in_backslash(above):
        # A 2.1 value continued after a backslash: the break is a new line in it.
        return above[:-1] + "\\n" + line
    if _holds_text(above) or _not_read(above):
        # A line break written raw into a note or an address (Outlook, hand edits), or in
        # a property the import leaves out (Thunderbird writes a custom field's carriage
        # return as it is): the line is part of that value, not a broken property.
        return above + "\\n" + line
    return None


def _head_folded(raw: list[str], index: int, line: str, *, keep_space: bool) -> bool:
    """Whether *line* with the folded lines after it (from ``raw[index]``) begins a
    property that *line* alone does not."""
    joined = line
    while index < len(raw) and raw[index][:1] in (" ", "\t"):
        joined += raw[index] if keep_space else raw[index][1:]
        index += 1
        if split_property(joined) is not None:
            return True
    return False


def _holds_text(line: str) -> bool:
    prop = split_property(line)
    return prop is not None and prop.name in _MULTILINE_TEXT


def _not_read(line: str) -> bool:
    prop = split_property(line)
    return prop is not None and prop.name not in READ_PROPERTIES


def _ends_in_backslash(line: str) -> bool:
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 1


@dataclass
class CardText:
    """The lines of one card (its nested cards left out), numbered from 1 in file order."""

    number: int
    lines: list[str] = field(default_factory=list)
    agent: bool = False


def split_cards(lines: list[str]) -> list[CardText]:
    """Every card of the file, nested ones apart and an AGENT's card left out."""
    cards: list[CardText] = []
    open_cards: list[CardText] = []
    agent_next = False
    count = 0
    for line in lines:
        prop = split_property(line)
        name = prop.name if prop else ""
        value = prop.value.strip().upper() if prop else ""
        if (name == "BEGIN" and value == "VCARD") or (name == "AGENT" and value == "BEGIN:VCARD"):
            agent = name == "AGENT" or agent_next or any(c.agent for c in open_cards)
            if not agent:
                count += 1
            card = CardText(count, agent=agent)
            open_cards.append(card)
            if not agent:
                cards.append(card)
        elif name == "END" and value == "VCARD":
            if open_cards:
                open_cards.pop()
        elif open_cards:
            open_cards[-1].lines.append(line)
        # An AGENT with no value in 2.1 is followed by its card on the next lines.
        agent_next = name == "AGENT" and not value
    return cards


def _charset(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _text_from_bytes(data: bytes, charset: str | None, file_encoding: str) -> str:
    """Decoded *data*: its CHARSET, else UTF-8, else the file's encoding (never fails)."""
    for candidate in (charset, "utf-8", file_encoding, "cp1252"):
        if candidate is None or _charset(candidate) is None:
            continue
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    return data.decode("iso-8859-1")


def _escape_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def decode_value(prop: Property, file_encoding: str, card_charset: str | None = None) -> Property:
    """*prop* with its value as plain text: quoted-printable, base64 and CHARSET undone.
    A value of 8-bit bytes that declares no CHARSET, and is not UTF-8, is read in the
    *card_charset* another property of its card declares (a phone that wrote
    ``LABEL;CHARSET=Windows-1251`` wrote the name in it too), else the file's encoding."""
    declared = prop.param_values("CHARSET")
    charset = _charset(declared[0]) if declared else None
    one_byte = _charset(file_encoding) in {_charset(e) for e in _ONE_BYTE_ENCODINGS}
    value = prop.value
    if _is_quoted_printable(prop) or _is_base64(prop):
        raw = value.encode(file_encoding if one_byte else "utf-8", errors="replace")
        if _is_quoted_printable(prop):
            data = quopri.decodestring(raw)
        else:
            try:
                data = base64.b64decode(raw, validate=False)
            except (binascii.Error, ValueError):
                data = raw
        value = _escape_newlines(_text_from_bytes(data, charset, file_encoding))
    elif one_byte and not value.isascii():
        # The file was read in an 8-bit encoding because some of its bytes are no UTF-8:
        # a value says which encoding its bytes are in, else bytes that are valid UTF-8
        # are UTF-8 (a file gathered from several phones mixes them), else the card's
        # charset when it reads them as words ("Mьller" is Latin-1 read as Windows-1251:
        # the file's encoding stays).
        for candidate in (charset,) if charset else ("utf-8", card_charset):
            if candidate is None:
                continue
            with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                decoded = value.encode(file_encoding).decode(candidate)
                if charset or candidate == "utf-8" or reads_as_words(decoded):
                    value = decoded
                    break
    params = [
        p
        for p in prop.params
        if p.strip().upper() not in ("QUOTED-PRINTABLE", "BASE64", "B", "8BIT")
        and p.partition("=")[0].strip().upper() not in ("ENCODING", "CHARSET")
    ]
    return Property(prop.group, prop.name, params, value)


#: Letters only: a word of a value, for ``reads_as_words``.
_WORD = re.compile(r"[^\W\d_]+")
#: Scripts written together in one word (Japanese mixes kanji and kana).
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HALFWIDTH": "CJK"}
#: Characters no text holds: controls (line breaks aside), private use, unassigned.
_NO_TEXT = frozenset({"Cc", "Co", "Cn", "Cs"})


def _script(letter: str) -> str:
    if letter.isascii():
        return "LATIN"
    script = unicodedata.name(letter, "?").split(" ", 1)[0]
    return _SCRIPT_GROUPS.get(script, script)


def reads_as_words(text: str) -> bool:
    """Whether *text*, 8-bit bytes read in a charset the value did not declare, reads as
    text in it: no control or unassigned character, the letters past ASCII of each word
    in one script, and a word in another script than Latin more than a lone letter.

    Latin-1 bytes read as Windows-1251 give "Mьller" (a Cyrillic letter among Latin
    ones) or "а Paris" (the "à" of "à Paris" as a lone Cyrillic letter); Cyrillic text
    gives Cyrillic words, in which a Latin "i" typed for "і" ("Вiталiй") is a minority.
    """
    if any(unicodedata.category(ch) in _NO_TEXT for ch in text if ch not in "\t\r\n"):
        return False
    other_words: list[str] = []
    for word in _WORD.findall(text):
        beyond = [letter for letter in word if not letter.isascii()]
        scripts = {_script(letter) for letter in beyond}
        if len(scripts) > 1:
            return False
        if scripts and scripts != {"LATIN"}:
            if 2 * len(beyond) <= len(word):
                return False  # fewer letters of its script than ASCII ones
            other_words.append(word)
    return not other_words or any(len(word) > 1 for word in other_words)


def _card_charset(card: CardText) -> str | None:
    """The 8-bit CHARSET a property of *card* declares (not UTF-8), or None."""
    for line in card.lines:
        prop = split_property(line)
        for declared in prop.param_values("CHARSET") if prop is not None else ():
            charset = _charset(declared)
            if charset is not None and charset not in ("utf-8", "utf-16", "ascii"):
                return charset
    return None


#: A colon after an odd run of backslashes: the last one escapes the colon.
_ESCAPED_COLON = re.compile(r"(?<!\\)((?:\\\\)*)\\:")


def clean_card(card: CardText, file_encoding: str) -> str:
    """The card as text vobject reads: only the properties the import reads, decoded.

    A line that is no property at all is kept as it is: the reader leaves it out of the
    card and keeps it in the notes (``import_vcard._read_card``), so nothing is lost.
    """
    version = ""
    out = ["BEGIN:VCARD"]
    card_charset = _card_charset(card)
    for line in card.lines:
        prop = split_property(line)
        if prop is None:
            out.append(line)
            continue
        if prop.name not in READ_PROPERTIES:
            continue
        prop = decode_value(prop, file_encoding, card_charset)
        if prop.name == "VERSION":
            version = prop.value.strip()
        elif version == "2.1" or prop.name in _TEXT_PROPERTIES:
            prop.value = _BARE_COMMA.sub(r"\\,", prop.value)
        if prop.name in _TEXT_PROPERTIES or prop.name in NOTED_PROPERTIES:
            # "http\://", "08\:00" (SOGo, Open-Xchange): a colon needs no escape.
            prop.value = _ESCAPED_COLON.sub(r"\1:", prop.value)
        out.append(prop.line())
    out.append("END:VCARD")
    return "\r\n".join(out) + "\r\n"


def prepare_vcard_text(text: str, file_encoding: str = "utf-8") -> list[tuple[int, str]]:
    """Every card of *text*, numbered and cleaned for vobject (see the module's notes)."""
    return [
        (card.number, clean_card(card, file_encoding)) for card in split_cards(logical_lines(text))
    ]
