"""Companies as records of their own, with the people working there (issue 21).

``company`` holds a company's values (each with a source: the company's own, or a
``company_provenance`` row per field changed later); ``company_link`` links a person to a
company with a function and a department, from a date until an end date (an ended link
stays: the person's history).

Every contact's organisation text becomes a company: the same name (folded, trimmed) once,
named as its first contact wrote it, and linked to each of its contacts. The company and
each link take the source of the organisation value they came from (its own provenance
row, else the contact's). The contacts' organisation texts stay as they are, so every
existing output keeps working. The field catalogue of an initialised database gains the
person's company links.

Revision ID: 0012_companies
Revises: 0011_list_view_index
"""

import datetime as dt
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0012_companies"
down_revision = "0011_list_view_index"
branch_labels = None
depends_on = None

#: Rows written per statement while the organisation texts are turned into companies.
CHUNK = 5_000


def _fold(text: str) -> str:
    """As ``domain.companies.company_key`` at the time of writing (a migration stays as
    written): folded as ``domain.normalize.fold``, then the spaces collapsed."""
    if text.isascii():
        return " ".join(text.lower().split())
    folded = text
    for _ in range(2):
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(folded.split())


def _create_tables() -> None:
    op.create_table(
        "company",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("legal_form", sa.String(length=30), nullable=False),
        sa.Column("vat", sa.String(length=20), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("relationship", sa.String(length=30), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_company_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_company_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company")),
    )
    op.create_index(op.f("ix_company_name_key"), "company", ["name_key"])
    op.create_index(op.f("ix_company_source_id"), "company", ["source_id"])
    op.create_index(op.f("ix_company_vat"), "company", ["vat"])
    op.create_table(
        "company_provenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_company_provenance_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["app_user.id"],
            name=op.f("fk_company_provenance_recorded_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_company_provenance_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_provenance")),
        sa.UniqueConstraint("company_id", "field", name="uq_company_provenance_field"),
    )
    op.create_index(op.f("ix_company_provenance_source_id"), "company_provenance", ["source_id"])
    op.create_table(
        "company_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("function", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_company_link_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_company_link_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_company_link_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_company_link_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_link")),
    )
    op.create_index(op.f("ix_company_link_company_id"), "company_link", ["company_id"])
    op.create_index(op.f("ix_company_link_contact_id"), "company_link", ["contact_id"])
    op.create_index(op.f("ix_company_link_source_id"), "company_link", ["source_id"])


def _companies_from_organisations(bind: sa.Connection) -> None:
    """One company per distinct organisation text, linked to each of its contacts."""
    rows = bind.execute(
        sa.text(
            "SELECT c.id, c.organisation, coalesce(p.source_id, c.source_id), c.created_by, "
            "c.relationship_start, c.created_at FROM contact c "
            "LEFT JOIN field_provenance p ON p.contact_id = c.id AND p.field = 'organisation' "
            "WHERE c.organisation <> '' ORDER BY c.id"
        )
    ).fetchall()
    if not rows:
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    ids: dict[str, int] = {}
    companies: list[dict[str, object]] = []
    links: list[dict[str, object]] = []
    for contact_id, organisation, source_id, created_by, started, created_at in rows:
        name = " ".join(str(organisation).split())
        if not name:
            continue
        key = _fold(name)[:200]
        company_id = ids.get(key)
        if company_id is None:
            company_id = ids[key] = len(ids) + 1
            companies.append(
                {
                    "id": company_id,
                    "name": name[:200],
                    "name_key": key,
                    "source_id": source_id,
                    "created_by": created_by,
                    "created_at": created_at or now,
                }
            )
        links.append(
            {
                "contact_id": contact_id,
                "company_id": company_id,
                "started_on": started,
                "source_id": source_id,
                "created_by": created_by,
                "created_at": now,
            }
        )
    insert_company = sa.text(
        "INSERT INTO company (id, name, name_key, legal_form, vat, street, postcode, city, "
        "country, email, phone, website, relationship, notes, source_id, created_by, "
        "created_at, updated_at, version) VALUES (:id, :name, :name_key, '', '', '', '', '', "
        "'BE', '', '', '', 'prospect', '', :source_id, :created_by, :created_at, "
        ":created_at, 1)"
    )
    insert_link = sa.text(
        "INSERT INTO company_link (contact_id, company_id, function, department, started_on, "
        "ended_on, source_id, created_by, created_at) VALUES (:contact_id, :company_id, '', "
        "'', :started_on, NULL, :source_id, :created_by, :created_at)"
    )
    for start in range(0, len(companies), CHUNK):
        bind.execute(insert_company, companies[start : start + CHUNK])
    for start in range(0, len(links), CHUNK):
        bind.execute(insert_link, links[start : start + CHUNK])
    if bind.dialect.name == "postgresql":
        # The ids were given here: the sequence goes on after them.
        bind.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('company', 'id'), :n)"),
            {"n": len(companies)},
        )


def upgrade() -> None:
    _create_tables()
    bind = op.get_bind()
    _companies_from_organisations(bind)
    catalogued = bind.execute(sa.text("SELECT count(*) FROM field_catalogue")).scalar()
    if catalogued:
        bind.execute(
            sa.text(
                "INSERT INTO field_catalogue (field, sensitivity, purposes) SELECT "
                "'company_links', 'normal', 'customer_relationship,invoicing,prospect_follow_up' "
                "WHERE NOT EXISTS (SELECT 1 FROM field_catalogue WHERE field = 'company_links')"
            )
        )


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM role_field_access WHERE field = 'company_links'"))
    bind.execute(sa.text("DELETE FROM field_catalogue WHERE field = 'company_links'"))
    op.drop_table("company_link")
    op.drop_table("company_provenance")
    op.drop_table("company")
