"""Domain errors raised by services.

Each carries a stable ``code`` (used as the problem+json ``code`` in the API), an
HTTP status for the API, and a message already translated into the user's language.
Views turn them into form errors; the API turns them into problem responses.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request; nothing was changed."""

    code = "domain_error"
    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist or belongs to a circle the user may not see."""

    code = "not_found"
    status = 404


class Forbidden(DomainError):
    """The user is known but lacks the rights for this action."""

    code = "forbidden"
    status = 403


class EmailNotConfirmed(DomainError):
    """The account has not confirmed its e-mail address yet (needed to take part).

    Not a Forbidden: the message is shown on the form (how to confirm), not as a 403 page.
    """

    code = "forbidden"
    status = 403


class ValidationFailed(DomainError):
    """Input broke a rule that a form or schema could not check alone."""

    code = "validation_error"
    status = 422


class FileTooLarge(ValidationFailed):
    """An uploaded file holds more than the importer reads (rows, columns, cells, field size)."""

    code = "file_too_large"
    status = 413


class ProfessionTaken(DomainError):
    """The profession's seat in the circle is already held."""

    code = "profession_taken"
    status = 409


class CircleFull(DomainError):
    """All seats of the circle are taken."""

    code = "circle_full"
    status = 409


class AlreadyMember(DomainError):
    """The user already holds or asked for a seat in the circle."""

    code = "already_member"
    status = 409


class Conflict(DomainError):
    """The request conflicts with the current state (e.g. the last admin)."""

    code = "conflict"
    status = 409


class EmailTaken(DomainError):
    """An account with this e-mail address exists."""

    code = "email_taken"
    status = 409


class SelfReferral(DomainError):
    """A member tried to refer or thank themselves."""

    code = "self_referral"
    status = 422


class NotAMember(DomainError):
    """The other member is not active in this circle."""

    code = "not_a_member"
    status = 422
