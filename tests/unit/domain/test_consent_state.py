"""Property tests of the consent state and the marketing rules."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from privacycrm_desktop.domain.consent import (
    Channel,
    ConsentFact,
    ConsentMethod,
    ConsentStatus,
    consent_state,
    current_status,
)
from privacycrm_desktop.domain.contacts import ContactKind, Relationship
from privacycrm_desktop.domain.marketing import (
    ContactPoint,
    MarketingRule,
    MarketingSubject,
    Reason,
    decide,
    explain,
    similar_categories,
)
from privacycrm_desktop.domain.special_categories import SpecialCategory, parse_terms, scan
from privacycrm_desktop.domain.suppression import HashKind, name_postcode, suppression_digest

TODAY = dt.date(2026, 3, 2)
BASE = dt.datetime(2026, 1, 1, 9, 0)
PERMISSIVENESS = [ConsentStatus.OPT_OUT, ConsentStatus.SOFT_OPT_IN, ConsentStatus.OPT_IN]
CONSENT = MarketingRule("newsletter", needs_opt_in=True)
SOFT = MarketingRule("soft", needs_opt_in=False, similar=(frozenset({"coffee", "tea"}),))


def fact(
    status: ConsentStatus,
    minute: int,
    *,
    purpose: str = "newsletter",
    channel: Channel = Channel.EMAIL,
    expires: dt.date | None = None,
    category: str = "",
) -> ConsentFact:
    return ConsentFact(
        purpose,
        channel,
        status,
        BASE + dt.timedelta(minutes=minute),
        expires,
        ConsentMethod.VERBAL_PHONE,
        category,
    )


facts = st.builds(
    fact,
    st.sampled_from(list(ConsentStatus)),
    st.integers(0, 5),
    expires=st.one_of(st.none(), st.dates(dt.date(2026, 1, 1), dt.date(2026, 6, 1))),
)


@given(st.lists(facts, min_size=1, max_size=12), st.randoms())
def test_same_moment_events_do_not_depend_on_their_order(events: list, rnd: object) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert consent_state(events, "newsletter", Channel.EMAIL, TODAY) == consent_state(
        shuffled, "newsletter", Channel.EMAIL, TODAY
    )


@given(st.lists(facts, min_size=1, max_size=12))
def test_the_least_permissive_of_the_latest_moment_wins(events: list) -> None:
    latest = max(e.recorded_at for e in events)
    at_latest = [e for e in events if e.recorded_at == latest]
    state = consent_state(events, "newsletter", Channel.EMAIL, TODAY)
    least = min(at_latest, key=lambda e: PERMISSIVENESS.index(e.status)).status
    assert state.decided_by is not None
    assert state.decided_by.status is least
    if state.status is not None:
        assert state.status is least
        assert all(
            PERMISSIVENESS.index(state.status) <= PERMISSIVENESS.index(e.status) for e in at_latest
        )


@given(st.lists(facts, max_size=12))
def test_one_opt_out_withdraws_everything_before_it(events: list) -> None:
    withdrawal = fact(ConsentStatus.OPT_OUT, 10)
    assert current_status([*events, withdrawal], "newsletter", Channel.EMAIL, TODAY) is (
        ConsentStatus.OPT_OUT
    )
    # ... and a later opt-in is needed to give consent again, one step too.
    again = fact(ConsentStatus.OPT_IN, 11)
    assert current_status([*events, withdrawal, again], "newsletter", Channel.EMAIL, TODAY) is (
        ConsentStatus.OPT_IN
    )


@given(st.dates(dt.date(2025, 1, 1), dt.date(2027, 1, 1)), st.sampled_from(PERMISSIVENESS[1:]))
def test_expiry_is_respected(expires: dt.date, status: ConsentStatus) -> None:
    state = consent_state([fact(status, 0, expires=expires)], "newsletter", Channel.EMAIL, TODAY)
    if expires < TODAY:
        assert state.status is None
        assert state.expired
    else:
        assert state.status is status
        assert not state.expired


def test_an_opt_out_never_expires_and_other_channels_are_apart() -> None:
    out = fact(ConsentStatus.OPT_OUT, 0, expires=dt.date(2026, 1, 2))
    assert current_status([out], "newsletter", Channel.EMAIL, TODAY) is ConsentStatus.OPT_OUT
    assert current_status([out], "newsletter", Channel.POST, TODAY) is None


def subject(
    events: list[ConsentFact],
    *,
    kind: ContactKind = ContactKind.PERSON,
    relationship: Relationship = Relationship.CUSTOMER,
    end: dt.date | None = None,
    from_sale: bool = True,
    suppressed: bool = False,
) -> MarketingSubject:
    return MarketingSubject(
        kind, relationship, end, (ContactPoint("a@b.be", from_sale),), suppressed, tuple(events)
    )


def test_soft_opt_in_needs_each_of_its_conditions() -> None:
    sold = fact(ConsentStatus.SOFT_OPT_IN, 0, purpose="soft", category="Coffee")
    codes = ("newsletter", "soft")

    def reason(subj: MarketingSubject, category: str = "coffee") -> Reason:
        return decide(subj, SOFT, Channel.EMAIL, TODAY, category, codes).reason

    assert reason(subject([sold])) is Reason.SOFT_OPT_IN
    assert reason(subject([sold]), "tea") is Reason.SOFT_OPT_IN  # declared similar
    assert reason(subject([sold]), "clothing") is Reason.CATEGORY_NOT_SIMILAR
    assert reason(subject([sold], relationship=Relationship.PROSPECT)) is Reason.NOT_A_CUSTOMER
    assert reason(subject([sold], end=dt.date(2026, 3, 1))) is Reason.RELATIONSHIP_ENDED
    assert reason(subject([sold], relationship=Relationship.FORMER_CUSTOMER)) is (
        Reason.RELATIONSHIP_ENDED
    )
    assert reason(subject([sold], from_sale=False)) is Reason.NOT_FROM_A_SALE
    # Only soft opt-ins in force count: an expired sale of coffee does not cover tea.
    old_sale = fact(
        ConsentStatus.SOFT_OPT_IN, 0, purpose="soft", category="coffee", expires=dt.date(2026, 2, 1)
    )
    new_sale = fact(ConsentStatus.SOFT_OPT_IN, 1, purpose="soft", category="shoes")
    assert reason(subject([old_sale, new_sale]), "tea") is Reason.CATEGORY_NOT_SIMILAR
    assert reason(subject([old_sale, new_sale]), "shoes") is Reason.SOFT_OPT_IN
    # An opt-out under another marketing purpose of the channel counts (rule 13).
    newsletter_out = fact(ConsentStatus.OPT_OUT, 5)
    assert reason(subject([sold, newsletter_out])) is Reason.OPTED_OUT
    assert reason(subject([sold], suppressed=True)) is Reason.SUPPRESSED
    # A soft opt-in never stands in for consent.
    assert decide(subject([sold]), CONSENT, Channel.EMAIL, TODAY, None, codes).reason is (
        Reason.NO_CONSENT
    )


def test_organisation_addresses_follow_their_own_rule() -> None:
    org = subject([], kind=ContactKind.ORGANISATION_ADDRESS, relationship=Relationship.PROSPECT)
    assert decide(org, CONSENT, Channel.EMAIL, TODAY).reason is Reason.ORGANISATION_ADDRESS
    objected = subject([fact(ConsentStatus.OPT_OUT, 0)], kind=ContactKind.ORGANISATION_ADDRESS)
    assert decide(objected, CONSENT, Channel.EMAIL, TODAY).reason is Reason.OPTED_OUT


def test_the_explanation_says_how_and_when() -> None:
    out = fact(ConsentStatus.OPT_OUT, 0)
    decision = decide(subject([out]), CONSENT, Channel.EMAIL, TODAY)
    words = explain(decision, Channel.EMAIL)
    assert not words.allowed
    assert words.message == "{prefix}: opted out {method} on {date}."
    assert words.params == {
        "prefix": "No e-mail marketing",
        "method": "by phone",
        "date": dt.date(2026, 1, 1),
    }


@given(st.text(max_size=10), st.text(max_size=10))
def test_similarity_is_symmetric(a: str, b: str) -> None:
    groups = (frozenset({a, "x"}),)
    assert similar_categories(a, b, groups) == similar_categories(b, a, groups)


def test_suppression_digests_follow_normalisation_and_the_salt() -> None:
    salt = "ab" * 32
    assert suppression_digest(salt, HashKind.EMAIL, " Zoe@Example.be ") == suppression_digest(
        salt, HashKind.EMAIL, "zoe@example.be"
    )
    key = name_postcode("Zoë", "Lefèvre", "4000")
    assert suppression_digest(salt, HashKind.NAME_POSTCODE, key) == suppression_digest(
        salt, HashKind.NAME_POSTCODE, "ZOE  lefevre|4000"
    )
    assert suppression_digest("cd" * 32, HashKind.EMAIL, "zoe@example.be") != suppression_digest(
        salt, HashKind.EMAIL, "zoe@example.be"
    )
    assert len(suppression_digest(salt, HashKind.PHONE, "+32475123456")) == 64
    assert name_postcode("", "", "4000") == ""


def test_notes_are_scanned_for_special_categories() -> None:
    terms = [parse_terms("health: diabet\nreligion: moskee\ntrade_union: vakbond\n# comment")]
    hits = scan("Klant is DIABÉTIQUE; lid van de vakbond.", terms)
    assert [h.category for h in hits] == [SpecialCategory.HEALTH, SpecialCategory.TRADE_UNION]
    assert scan("Terras met uitzicht", [parse_terms("ethnic_origin: ras")]) == []


def test_street_names_in_notes_are_no_special_category_data() -> None:
    terms = [
        parse_terms(
            "religion: kerk\nreligion: eglise\nreligion: church\nhealth: ziekenhuis\n"
            "health: hopital"
        )
    ]
    addresses = (
        "Home address: Kerkstraat 1, 9000 Gent\n"
        "Work address: Ziekenhuislaan 5, 2000 Antwerpen\n"
        "Other address: Rue de l'Église 3, 5000 Namur; 1 Church Street, London\n"
        "Oude Kerksteenweg 12; Place de l'Hôpital 2"
    )
    assert scan(addresses, terms) == []
    hits = scan(addresses + "\nGaat elke zondag naar de kerk.", terms)
    assert [h.term for h in hits] == ["kerk"]
    assert [h.term for h in scan("Opgenomen in het ziekenhuis", terms)] == ["ziekenhuis"]


def test_a_hit_quotes_the_word_as_typed_and_keeps_the_stem() -> None:
    terms = [parse_terms("health: diabet\nhealth: ziekenhuis\ntrade_union: abvv")]
    hits = scan("Suit un traitement contre le DIABÈTE, lid van ABVV.", terms)
    assert [(h.term, h.stem) for h in hits] == [("DIABÈTE", "diabet"), ("ABVV", "abvv")]
    # Decomposed accents and letters that fold to two stay as they were typed.
    assert [h.term for h in scan("diabe\u0301tique", terms)] == ["diabe\u0301tique"]
    assert [h.term for h in scan("Straße; Ziekenhuisopname", terms)] == ["Ziekenhuisopname"]
