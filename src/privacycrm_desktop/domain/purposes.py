"""The register of processing: purposes, legal bases, retention rules (rules 7, 8, 22)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from privacycrm_desktop.domain.text import N_


class LegalBasis(StrEnum):
    """GDPR article 6 bases."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTEREST = "legitimate_interest"
    VITAL_INTEREST = "vital_interest"
    PUBLIC_TASK = "public_task"


class RetentionTrigger(StrEnum):
    """The event a retention period counts from."""

    RELATIONSHIP_END = "relationship_end"
    LAST_INTERACTION = "last_interaction"
    COLLECTION = "collection"
    CONSENT_WITHDRAWAL = "consent_withdrawal"


class RecipientKind(StrEnum):
    """Who a recipient of personal data is (rules 6 and 15)."""

    PROCESSOR = "processor"
    INDEPENDENT = "independent"
    AUTHORITY = "authority"


RECIPIENT_KIND_LABELS = {
    RecipientKind.PROCESSOR: N_("Service provider working for us"),
    RecipientKind.INDEPENDENT: N_("Independent professional (accountant, lawyer)"),
    RecipientKind.AUTHORITY: N_("Public authority"),
}

LEGAL_BASIS_LABELS = {
    LegalBasis.CONSENT: N_("Consent"),
    LegalBasis.CONTRACT: N_("Contract"),
    LegalBasis.LEGAL_OBLIGATION: N_("Legal obligation"),
    LegalBasis.LEGITIMATE_INTEREST: N_("Legitimate interest"),
    LegalBasis.VITAL_INTEREST: N_("Vital interest"),
    LegalBasis.PUBLIC_TASK: N_("Public task"),
}
TRIGGER_LABELS = {
    RetentionTrigger.RELATIONSHIP_END: N_("End of the relationship"),
    RetentionTrigger.LAST_INTERACTION: N_("Last interaction"),
    RetentionTrigger.COLLECTION: N_("Collection"),
    RetentionTrigger.CONSENT_WITHDRAWAL: N_("Withdrawal of consent"),
}
#: Names of the data categories the shipped purposes use; the owner may add others.
DATA_CATEGORY_LABELS = {
    "identity": N_("identity"),
    "contact": N_("contact details"),
    "address": N_("address"),
    "relationship": N_("customer relationship"),
    "notes": N_("notes"),
}
_RETENTION_TEXT = {
    RetentionTrigger.RELATIONSHIP_END: N_("{months} months after the end of the relationship"),
    RetentionTrigger.LAST_INTERACTION: N_("{months} months after the last interaction"),
    RetentionTrigger.COLLECTION: N_("{months} months after collection"),
    RetentionTrigger.CONSENT_WITHDRAWAL: N_("{months} months after consent is withdrawn"),
}


def retention_text(trigger: RetentionTrigger, months: int) -> tuple[str, dict[str, int]]:
    """The retention rule in words, as a msgid and its params ("24 months after ...")."""
    if months == 0 and trigger is RetentionTrigger.CONSENT_WITHDRAWAL:
        return N_("Until consent is withdrawn"), {}
    return _RETENTION_TEXT[trigger], {"months": months}


@dataclass(frozen=True)
class PurposeSpec:
    """A purpose as shipped by default; the owner edits the stored copy."""

    code: str
    name: str
    description: str
    legal_basis: LegalBasis
    retention_trigger: RetentionTrigger
    retention_months: int
    data_categories: tuple[str, ...]
    is_marketing: bool = False


DEFAULT_PURPOSES: tuple[PurposeSpec, ...] = (
    PurposeSpec(
        "customer_relationship",
        N_("Customer relationship"),
        N_("Managing orders, deliveries, service and questions of our customers."),
        LegalBasis.CONTRACT,
        RetentionTrigger.RELATIONSHIP_END,
        24,
        ("identity", "contact", "relationship", "notes"),
    ),
    PurposeSpec(
        "invoicing",
        N_("Invoicing and bookkeeping"),
        N_("Invoices and the accounts we must keep by law."),
        LegalBasis.LEGAL_OBLIGATION,
        RetentionTrigger.RELATIONSHIP_END,
        120,
        ("identity", "address"),
    ),
    PurposeSpec(
        "direct_marketing_consent",
        N_("Direct marketing on consent"),
        N_("Newsletters and offers to people who asked for them."),
        LegalBasis.CONSENT,
        RetentionTrigger.CONSENT_WITHDRAWAL,
        0,
        ("identity", "contact"),
        is_marketing=True,
    ),
    PurposeSpec(
        "direct_marketing_soft_opt_in",
        N_("Direct marketing to customers (soft opt-in)"),
        N_("Offers for products similar to what a customer bought, with a free opt-out."),
        LegalBasis.LEGITIMATE_INTEREST,
        RetentionTrigger.RELATIONSHIP_END,
        36,
        ("identity", "contact"),
        is_marketing=True,
    ),
    PurposeSpec(
        "prospect_follow_up",
        N_("Prospect follow-up"),
        N_("Answering people who asked us for information or a quote."),
        LegalBasis.LEGITIMATE_INTEREST,
        RetentionTrigger.LAST_INTERACTION,
        12,
        ("identity", "contact", "notes"),
    ),
)
