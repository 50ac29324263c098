"""SQLAlchemy 2 models for the whole domain (see the glossary in DESIGN.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from data.scoping import CustomerOwned
from data.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for Alembic."""

    metadata = MetaData(naming_convention=NAMING)


CVR = String(8)


class AppMeta(Base):
    """Key/value facts about this database (e.g. that it holds demo data)."""

    __tablename__ = "app_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- customers and their units -------------------------------------------------------------


class Ministry(Base):
    """Ministerområde."""

    __tablename__ = "ministry"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))

    @property
    def label(self) -> str:
        """Return the ministry as users read it, e.g. 'Finansministeriet - 57'."""
        return f"{self.name} - {self.number}"


class Customer(CustomerOwned, Base):
    """Kunde / institution, keyed by CVR."""

    __tablename__ = "customer"
    cvr: Mapped[str] = mapped_column(CVR, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"))
    customer_type: Mapped[str] = mapped_column(String(50), default="Statslig")
    address: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    ean: Mapped[str] = mapped_column(String(13), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The back-office's optimistic lock: a Stamdata form opened before another save is stale.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    ministry: Mapped[Ministry] = relationship()
    accounting_units: Mapped[list["AccountingUnit"]] = relationship(back_populates="customer", order_by="AccountingUnit.code")
    payroll_groups: Mapped[list["PayrollGroup"]] = relationship(back_populates="customer", order_by="PayrollGroup.code")

    __mapper_args__ = {"version_id_col": version}


class AccountingUnit(CustomerOwned, Base):
    """Bogføringskreds."""

    __tablename__ = "accounting_unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"))
    server_name: Mapped[str] = mapped_column(String(100), default="")
    database_name: Mapped[str] = mapped_column(String(100), default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    customer: Mapped[Customer] = relationship(back_populates="accounting_units")
    ministry: Mapped[Ministry] = relationship()

    __mapper_args__ = {"version_id_col": version}


class PayrollGroup(CustomerOwned, Base):
    """Løngruppe."""

    __tablename__ = "payroll_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministry.id"))
    # Like a bogføringskreds, a løngruppe runs on a server and a database (the guide's Stamdata section).
    server_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    database_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    customer: Mapped[Customer] = relationship(back_populates="payroll_groups")
    ministry: Mapped[Ministry] = relationship()

    __mapper_args__ = {"version_id_col": version}


# --- users and rights ----------------------------------------------------------------------


def normalise_email(value: str) -> str:
    """Return an e-mail address as it is stored and looked up: trimmed and in lower case."""
    # Python's lower(), not SQL's: SQLite's lower() leaves Æ, Ø and Å as they are, so 'ÅSE@x.dk' and
    # 'åse@x.dk' would have been two accounts, and the first could not sign in.
    return value.strip().lower()


class User(Base):
    """A person who signs in: customer user, SA staff or SA system administrator."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    b_number: Mapped[Optional[str]] = mapped_column(String(20), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_sa_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_sa_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on password change or deactivation: every session minted before is void.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    # Bumped by every save in Brugeradministration (person or grants): a form opened before is stale.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The customer (and unit) the user last worked on: opened again at the next visit. A preference, not a
    # right: checked against the user's scope whenever it is used (core.access.default_cvr).
    last_cvr: Mapped[Optional[str]] = mapped_column(String(8), nullable=True)
    last_unit: Mapped[Optional[str]] = mapped_column(String(20), nullable=True)
    # Second factor (TOTP): the secret encrypted with a key derived from the app secret (core/totp.py),
    # set when enrolment was confirmed with a code; the last time-step used, so a code works once.
    totp_secret: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    totp_enabled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    totp_last_step: Mapped[Optional[int]] = mapped_column(BigInteger, nullable=True)
    grants: Mapped[list["Grant"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_sa(self) -> bool:
        """Tell whether the user is SA staff (system administrators are staff too), as `Principal.is_sa` does."""
        return bool(self.is_sa_staff or self.is_sa_admin)

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)


class RecoveryCode(Base):
    """One single-use recovery code of a user's second factor, stored as an argon2 hash."""

    __tablename__ = "totp_recovery_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)


class Grant(CustomerOwned, Base):
    """Rettighedsgruppe: one CVR and a set of rights, given to a user."""

    __tablename__ = "grant_"
    __table_args__ = (UniqueConstraint("user_id", "cvr", name="uq_grant_user_cvr"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    # Names from core.rights.Right, e.g. ["Læser", "Rapporter"].
    rights: Mapped[list[str]] = mapped_column(JSON, default=list)
    user: Mapped[User] = relationship(back_populates="grants")


class MitIdLink(CustomerOwned, Base):
    """A MitID Erhverv identity (persistent professional UUID) linked to a portal user at its first sign-in."""

    __tablename__ = "mitid_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # NemLog-in's persistent professional UUID: one person at one organisation (CVR).
    person_uuid: Mapped[str] = mapped_column(String(200), unique=True)
    # The CVR the identity belongs to (the assertion's); the user's administrator on that CVR sees the link.
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)


class SamlRequest(Base):
    """An AuthnRequest the portal sent to NemLog-in: the only responses the ACS accepts, each once."""

    __tablename__ = "saml_request"
    # Kept in the database, not the session cookie: the IdP's cross-site POST carries no SameSite=Lax cookie,
    # and every worker must know the request.
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    next_url: Mapped[str] = mapped_column(String(500), default="/")
    # SHA-256 of a random value in the starting browser's cookie: a response is taken only from that browser
    # (no login CSRF with a response someone else obtained for their own request).
    browser_hash: Mapped[str] = mapped_column(String(64), default="")
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)


class SamlSeenAssertion(Base):
    """An assertion id the ACS has accepted: a replay of it is refused until it would have expired anyway."""

    __tablename__ = "saml_seen_assertion"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class PasswordResetToken(Base):
    """A single-use password reset token; only its hash is stored."""

    __tablename__ = "password_reset_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)


class EndedSession(Base):
    """A signed-out session: a copy of its cookie is refused on every worker until it would have expired."""

    __tablename__ = "ended_session"
    # Session cookies are signed, not stored server-side: the database remembers only the ended ones.
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Signatory(CustomerOwned, Base):
    """Tegningsberettiget for one CVR and one agreement kind."""

    __tablename__ = "signatory"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    agreement_kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    b_number: Mapped[Optional[str]] = mapped_column(String(20), nullable=True)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    # The account that approves for the customer: only this user can approve agreements of this kind and CVR.
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), nullable=True, index=True)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="", server_default="")


class SaSignatory(Base):
    """SA's own tegningsberettiget for one agreement kind (the same person for every customer)."""

    __tablename__ = "sa_signatory"
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_kind: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    b_number: Mapped[Optional[str]] = mapped_column(String(20), nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="", server_default="")


# --- administrator onboarding (issue 11) -------------------------------------------------------


class AdminApplication(Base):
    """A customer's request for its administrator access, from the public page to the account SA creates."""

    # Not CustomerOwned: the request is SA's case, read only on SA's Ansøgninger page, and its CVR is
    # what a stranger typed (perhaps no customer at all); the CVRs of the form are checked against
    # the customers when it is submitted.
    __tablename__ = "admin_application"
    __table_args__ = (Index("ix_admin_application_state_created", "state", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # unconfirmed -> awaiting -> approved -> submitted -> created; rejected from awaiting, approved or submitted.
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    client_address: Mapped[str] = mapped_column(String(45), default="", server_default="")
    # What the public page asked for.
    institution: Mapped[str] = mapped_column(String(200))
    requested_cvr: Mapped[str] = mapped_column(String(8), index=True)
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_email: Mapped[str] = mapped_column(String(254))
    # The e-mail confirmation link and the form link: only SHA-256 hashes of the tokens are stored.
    confirm_token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True, nullable=True)
    confirm_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    form_token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True, nullable=True)
    form_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    form_used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    # SA's decision.
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[str] = mapped_column(String(254), default="", server_default="")
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The online form.
    form_ministry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ministry.id"), nullable=True)
    form_cvrs: Mapped[Optional[list]] = mapped_column(JSON, nullable=True)
    form_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    form_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    form_phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    # The account SA created (or gave the Administrator right).
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    account_created_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    # Optimistic lock: SA's decision on a row someone else decided meanwhile is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


# --- agreements ----------------------------------------------------------------------------


class StoredFile(CustomerOwned, Base):
    """A file in the file store; served only through the download route."""

    __tablename__ = "stored_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[Optional[str]] = mapped_column(ForeignKey("customer.cvr"), index=True, nullable=True)
    # Which page's rights apply when downloading (a Menu value).
    menu: Mapped[str] = mapped_column(String(40))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Agreement(CustomerOwned, Base):
    """Kundeaftale (kind=customer) or Databehandleraftale (kind=data_processing)."""

    __tablename__ = "agreement"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[str] = mapped_column(String(20), default="1")
    valid_from: Mapped[Optional[dt.date]] = mapped_column(Date, nullable=True)
    signed_electronically: Mapped[bool] = mapped_column(Boolean, default=True)
    sa_signed_by: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    sa_signed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    customer_signed_by: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    customer_signed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    signed_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id"), nullable=True)
    # The text as ordered sections [{"heading", "body"}]; None for a version written before sections
    # existed, whose `body` is read as sections instead (data.agreements.sections_of).
    sections: Mapped[Optional[list[dict[str, str]]]] = mapped_column(JSON, nullable=True)
    # None while SA drafts it; customers read published versions only, and a published one never changes.
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True, default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200), default="")
    # Optimistic lock of the draft's form (`version` is the agreement's own version label).
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    # Electronic approval (data.approvals): set when SA publishes the version for approval, with the SHA-256
    # of the exact PDF both signatories are shown; `signed_at` once both approved (then immutable), and the
    # sealed PDF "Hent aftale" serves from then on.
    approval_requested_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    approval_pdf_sha256: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)
    signed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    sealed_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id"), nullable=True)


class ApprovalEvent(CustomerOwned, Base):
    """One signatory's approval of one agreement version; the events form a hash chain over all customers."""

    __tablename__ = "approval_event"
    __table_args__ = (UniqueConstraint("agreement_id", "party", name="uq_approval_event_agreement_party"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    agreement_kind: Mapped[str] = mapped_column(String(30))
    agreement_version: Mapped[str] = mapped_column(String(20))
    party: Mapped[str] = mapped_column(String(10))  # "sa" or "customer"
    signer_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_b_number: Mapped[str] = mapped_column(String(20), default="")
    approved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    client_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(500), default="")
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    # The previous event's hash ("" for the first): unique, so two approvals racing for the chain's head
    # cannot both link to it; one is refused and nothing of it is written.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    event_hash: Mapped[str] = mapped_column(String(64), unique=True)


class Exemption(CustomerOwned, Base):
    """Dispensation approved by SA, with an expiry date."""

    __tablename__ = "exemption"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    granted_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[Optional[dt.date]] = mapped_column(Date, nullable=True)
    row_version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock of SA's edit form
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class AddOn(CustomerOwned, Base):
    """Tilkøb: an extra service the customer bought."""

    __tablename__ = "add_on"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    service: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[Optional[dt.date]] = mapped_column(Date, nullable=True)  # None: still bought
    row_version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock of SA's edit form
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class ThirdPartyTask(CustomerOwned, Base):
    """Opgaver hos 3. part: the agency SA contacts for an area."""

    __tablename__ = "third_party_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    area: Mapped[str] = mapped_column(String(30))  # Regnskab / Løn
    agency: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    end_date: Mapped[Optional[dt.date]] = mapped_column(Date, nullable=True)  # None: still with the agency
    row_version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock of SA's edit form
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class Annex(CustomerOwned, Base):
    """Bilag to an agreement, shown when the agreement was not signed electronically."""

    __tablename__ = "annex"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    agreement_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agreement.id"), nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_file.id"), nullable=True)
    # Replacing an annex adds a new row (revision + 1, previous_id the old one) and marks the old one
    # superseded: the old file is kept. A withdrawn annex is no longer listed for the customer.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[Optional[int]] = mapped_column(ForeignKey("annex.id"), nullable=True)
    superseded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    row_version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock of SA's edit form
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


# --- meetings and action items -------------------------------------------------------------


class Meeting(CustomerOwned, Base):
    """Møde between the customer and SA."""

    __tablename__ = "meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60))
    # A draft (None) is seen by SA only; customers' reads filter on it in SQL.
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    # Bumped by every change of the meeting or its documents: a form or dialog opened before is stale.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    documents: Mapped[list["MeetingDocument"]] = relationship(back_populates="meeting")

    __mapper_args__ = {"version_id_col": version}


class MeetingDocument(Base):
    """Dagsorden, materiale or referat of a meeting."""

    __tablename__ = "meeting_document"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # dagsorden / materiale / referat
    title: Mapped[str] = mapped_column(String(200))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    # Published on its own (a referat after the meeting); None: seen by SA only.
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    # A withdrawn document is kept (for the audit) but never shown to customers again.
    withdrawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    meeting: Mapped[Meeting] = relationship(back_populates="documents")


class ActionItem(CustomerOwned, Base):
    """Aktionsliste item: an agreed follow-up task."""

    __tablename__ = "action_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    area: Mapped[str] = mapped_column(String(20))  # Regnskab / Løn
    accounting_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounting_unit.id"), nullable=True)
    payroll_group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("payroll_group.id"), nullable=True)
    subject: Mapped[str] = mapped_column(String(300))
    deadline: Mapped[Optional[dt.date]] = mapped_column(Date, nullable=True)
    owner: Mapped[str] = mapped_column(String(200), default="")
    process_area: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(40), default="Åben")
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    status_detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The customer's meeting the item was agreed at (optional); read only joined on the item's own CVR.
    meeting_id: Mapped[Optional[int]] = mapped_column(ForeignKey("meeting.id"), nullable=True)
    # Bumped by every save in the back-office: a form opened before is stale (optimistic lock).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(254), default="", server_default="")

    __mapper_args__ = {"version_id_col": version}


class ActionItemHistory(CustomerOwned, Base):
    """One change of an action item: who, when, and each field from what to what (customers read it)."""

    __tablename__ = "action_item_history"
    __table_args__ = (Index("ix_action_item_history_item_at", "action_item_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(ForeignKey("action_item.id", ondelete="CASCADE"))
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    # The item's version after the change.
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # create / update / close / reopen
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(254), default="")
    # [{"field": "deadline", "before": "2026-01-01", "after": "2026-02-01"}, ...] as the page shows them.
    changes: Mapped[list] = mapped_column(JSON, default=list)


# --- runbooks ------------------------------------------------------------------------------


class Runbook(CustomerOwned, Base):
    """Drejebog for one accounting unit (Regnskab) or payroll group (Løn / Refusion)."""

    __tablename__ = "runbook"
    __table_args__ = (UniqueConstraint("cvr", "area", "unit_code", "section", name="uq_runbook_unit_section"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    area: Mapped[str] = mapped_column(String(20))  # Regnskab / Løn / Refusion
    unit_code: Mapped[str] = mapped_column(String(20))
    # Regnskab: Finans / Kreditor; Løn: Afrapportering / Afstemning / Løn / mTime;
    # Refusion: Afstemning / Kontering / Virklister / Refusion.
    section: Mapped[str] = mapped_column(String(40))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    versions: Mapped[list["RunbookVersion"]] = relationship(back_populates="runbook", order_by="RunbookVersion.version")


class RunbookVersion(Base):
    """One saved version of a runbook; content holds its points and tasks as JSON."""

    __tablename__ = "runbook_version"
    __table_args__ = (UniqueConstraint("runbook_id", "version", name="uq_runbook_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    runbook_id: Mapped[int] = mapped_column(ForeignKey("runbook.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # {"points": [{"deviation", "description", "file_ids"}], "tasks": [{"task", "description", "frequency", "file_ids"}]}
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(200), default="")
    # Why SA saved this version, shown in the runbook's history (empty for versions from before the back-office).
    change_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    runbook: Mapped[Runbook] = relationship(back_populates="versions")


# --- contacts ------------------------------------------------------------------------------


class ContactRole(Base):
    """Rolle in the role catalogue; `sa_only` roles are assigned only by SA."""

    __tablename__ = "contact_role"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    sa_only: Mapped[bool] = mapped_column(Boolean, default=False)
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    # Stamdata tabs the role puts the contact on (Generelt / Regnskab / Løn).
    tabs: Mapped[list[str]] = mapped_column(JSON, default=list)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Contact(CustomerOwned, Base):
    """Kontaktperson at a customer."""

    __tablename__ = "contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    shared_email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Stamdata tabs chosen for display (Generelt / Regnskab / Løn).
    tabs: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    roles: Mapped[list[ContactRole]] = relationship(secondary="contact_role_assignment", order_by="ContactRole.sort_order")

    __mapper_args__ = {"version_id_col": version}


class ContactRoleAssignment(Base):
    """A role held by a contact."""

    __tablename__ = "contact_role_assignment"
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("contact_role.id"), primary_key=True)


class TeamMember(CustomerOwned, Base):
    """An SA employee on the team that serves a customer (Kontakt dit team)."""

    __tablename__ = "team_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(20), default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="", server_default="")

    __mapper_args__ = {"version_id_col": version}


# --- service goals and cases ---------------------------------------------------------------


class ServiceGoal(Base):
    """Servicemål: a promise with a target %, met by a working-day or day-of-month rule."""

    __tablename__ = "service_goal"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    area: Mapped[str] = mapped_column(String(20))  # Regnskab / Løn / Rejser / Refusion
    title: Mapped[str] = mapped_column(String(200))
    rule_text: Mapped[str] = mapped_column(Text)
    target_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    rule_kind: Mapped[str] = mapped_column(String(20))  # within_days / by_day_of_month
    rule_value: Mapped[int] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # The columns above are the catalogue as it stands after its newest version (data/goals.py keeps
    # them so); which rule judged a month is the version in force for it (ServiceGoalVersion).
    # Bumped by every save in the catalogue: a form opened before is stale (optimistic lock).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(254), default="", server_default="")


class ServiceGoalVersion(Base):
    """One version of a service goal, in force from its month until the next version's (never rewritten once reported)."""

    __tablename__ = "service_goal_version"
    __table_args__ = (UniqueConstraint("goal_id", "valid_from", name="uq_service_goal_version_goal_month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("service_goal.id"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)  # first day of a month
    title: Mapped[str] = mapped_column(String(200))
    rule_text: Mapped[str] = mapped_column(Text)
    rule_kind: Mapped[str] = mapped_column(String(20))
    rule_value: Mapped[int] = mapped_column(Integer)
    target_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254), default="")


class Case(CustomerOwned, Base):
    """Sag: one handled task, the raw fact behind every KPI."""

    __tablename__ = "case_"
    __table_args__ = (
        Index("ix_case_cvr_goal_completed", "cvr", "goal_id", "completed_at"),
        # Partial indexes: open and reopened cases are few, so the pages count them without
        # scanning a customer's closed cases. completed_at (always NULL in it) leads after cvr so
        # that SQLite's planner, which has no statistics, prefers it to ix_case_cvr_goal_completed.
        # The unit too (migration 0023): with a unit chosen, the open cases are counted from the index alone.
        Index("ix_case_open", "cvr", "completed_at", "goal_id", "unit_code", "received_at",
              sqlite_where=text("completed_at IS NULL"), postgresql_where=text("completed_at IS NULL")),
        Index("ix_case_reopened", "cvr", "completed_at",
              sqlite_where=text("reopened > 0"), postgresql_where=text("reopened > 0")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(64), unique=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"))
    goal_id: Mapped[int] = mapped_column(ForeignKey("service_goal.id"))
    unit_code: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    completed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, nullable=True)
    days_taken: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    met: Mapped[Optional[bool]] = mapped_column(Boolean, nullable=True)
    # How many times an import explicitly reopened the case (status 'genåbnet' or --reopen); a
    # blank completion alone never reopens a closed case.
    reopened: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MonthlyRollup(CustomerOwned, Base):
    """Customer × goal × unit × month: cases handled, met, and a histogram of days taken."""

    __tablename__ = "monthly_rollup"
    __table_args__ = (Index("ix_rollup_cvr_month", "cvr", "month"),)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("service_goal.id"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # first day of the month
    handled: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)
    # {"0": n, "1": n, ...}: days taken -> count.
    days_histogram: Mapped[dict] = mapped_column(JSON, default=dict)


class OpenCaseDay(CustomerOwned, Base):
    """Customer × goal × unit × day of receipt: how many of those cases are still open (no completion)."""

    # The open-case counts on Information and the KPI dashboard read this instead of the open cases
    # themselves: a large customer has thousands of them, but only a few hundred (goal, unit, day)
    # rows, and whether a case is past its deadline today depends on its day of receipt alone
    # (`data.rules.first_not_overdue`). Derived data like the roll-ups: every case import rewrites the
    # rows of the customers in its file (`data.cases_import.rollups.refresh_open_counts`).
    __tablename__ = "open_case_day"
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"), primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("service_goal.id"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    received_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    open_cases: Mapped[int] = mapped_column(Integer)


# --- case import jobs (the browser's case import, /sa/sagsimport) ---------------------------


class CaseImportJob(Base):
    """A case file SA uploaded in the browser, queued for the background worker, and what its import did.

    Not customer-owned: one file may hold the cases of every customer, and only SA staff reach it.
    """

    __tablename__ = "case_import_job"
    __table_args__ = (Index("ix_case_import_job_status_id", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                         nullable=True)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    filename: Mapped[str] = mapped_column(String(255))
    # The uploaded file's name under the instance folder's case_imports/ (generated, never the user's).
    stored_name: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued / running / done / failed
    progress: Mapped[int] = mapped_column(Integer, default=0)  # per cent of the file read
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # {"lines": the CLI's summary lines, "errors": [{"line", "reason"}], "message": a file-level refusal}.
    report: Mapped[Optional[dict]] = mapped_column(JSON, nullable=True)


# --- audit and mail ------------------------------------------------------------------------


class AuditLog(CustomerOwned, Base):
    """Who changed what, when, with the state before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    user_label: Mapped[str] = mapped_column(String(254), default="")
    cvr: Mapped[Optional[str]] = mapped_column(String(8), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60), default="")
    entity_id: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)
    before: Mapped[Optional[dict]] = mapped_column(JSON, nullable=True)
    after: Mapped[Optional[dict]] = mapped_column(JSON, nullable=True)
    # Where the change came from: the client address of the request (behind PROXY_FIX_HOPS proxies,
    # the one the load balancer saw); empty for the CLI, the worker and demo data.
    client_address: Mapped[str] = mapped_column(String(45), default="", server_default="")


class Announcement(CustomerOwned, Base):
    """Something SA published for a customer: the start page's news and the source of notification mails."""

    __tablename__ = "announcement"
    __table_args__ = (Index("ix_announcement_cvr_created", "cvr", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cvr: Mapped[str] = mapped_column(ForeignKey("customer.cvr"))
    topic: Mapped[str] = mapped_column(String(30))  # a core.topics.Topic value
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    # The page it concerns, with its query string (e.g. '/moeder?cvr=...&aar=2026'); never a full URL.
    path: Mapped[str] = mapped_column(String(300))
    entity: Mapped[str] = mapped_column(String(60), default="")
    entity_id: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    # Set when the notification task has queued its mails (claimed in SQL: each announcement once).
    notified_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True, index=True)


class MailOutbox(Base):
    """Every e-mail the portal sends, with its delivery state: a queue the worker sends with retries.

    Queued mails keep their body until sent; the sign-in mails (password reset link, a new user's
    password) are sent at once and their body is never stored (`direct`), so no secret rests here.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        UniqueConstraint("announcement_id", "recipient", name="uq_mail_outbox_announcement_recipient"),
        Index("ix_mail_outbox_status_next", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    transport: Mapped[str] = mapped_column(String(20))  # outbox / smtp
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # the last delivery error
    # queued -> sending -> sent, or back to queued with a later next_attempt_at; failed when given up.
    # direct: a sign-in mail sent by the request itself (then sent or failed), never by the worker.
    status: Mapped[str] = mapped_column(String(20), default="direct", server_default="direct")
    body_text: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    body_html: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    # A worker's claim on a `sending` row; a row whose claim ran out (a crashed worker) is claimed again.
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)
    announcement_id: Mapped[Optional[int]] = mapped_column(ForeignKey("announcement.id", ondelete="SET NULL"),
                                                           nullable=True)


# --- the privacy log (issue 15) --------------------------------------------------------------


class PrivacyLogEntry(CustomerOwned, Base):
    """One view of one person's data: who saw it, when, on which page or export, for which customer."""

    __tablename__ = "privacy_log"
    __table_args__ = (Index("ix_privacy_log_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # No foreign keys: an entry must outlive the viewer's account and the person's row (an insight
    # request may come after both are gone), so the names at the time are kept as text.
    viewer_id: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    viewer_label: Mapped[str] = mapped_column(String(254), default="")
    cvr: Mapped[Optional[str]] = mapped_column(String(8), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(64))
    person_name: Mapped[str] = mapped_column(String(200), default="")
    person_email: Mapped[str] = mapped_column(String(254), default="")
    # Name and e-mail folded by Python (SQLite's lower() leaves Æ, Ø and Å), searched with LIKE.
    search_text: Mapped[str] = mapped_column(String(460), default="")
    client_address: Mapped[str] = mapped_column(String(45), default="", server_default="")


# --- notifications and the start page --------------------------------------------------------------


class NotificationPreference(Base):
    """A user's notification choices (user menu › Notifikationer): the topics they opted out of."""

    __tablename__ = "notification_preference"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    # core.topics.Topic values; every topic not listed is followed.
    opted_out: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class UserVisit(Base):
    """When a user last opened the start page, and the visit before: the start page shows what is new since then."""

    __tablename__ = "user_visit"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    previous_seen_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime(), nullable=True)


__all__ = [name for name in dir() if name[:1].isupper()]
