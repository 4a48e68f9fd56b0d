"""Flask extensions, created unattached and bound in ``create_app``."""

import logging

from flask import request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from circle.db import Base

db = SQLAlchemy(
    model_class=Base,
    # Only matters when a session is bound to a connection that is already in a
    # transaction (the tests' rolled-back transaction); production binds engines.
    # expire_on_commit=False: the one commit ends the request; objects stay readable after it.
    session_options={"join_transaction_mode": "create_savepoint", "expire_on_commit": False},
)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
#: Compresses style sheets, scripts and SVG (Brotli or gzip, as the browser accepts).
#: Not HTML: a page carries the session's CSRF secret beside what a user typed, the mix a
#: BREACH attack reads through compressed sizes; pages stay small by paging instead.
compress = Compress()


def _log_breach(limit) -> None:
    """Log a request refused by a rate limit: endpoint, limit and client address."""
    logging.getLogger("circle.auth").warning(
        "throttled outcome=refused endpoint=%s limit=%s ip=%s",
        request.endpoint,
        limit.limit,
        get_remote_address(),
    )


limiter = Limiter(key_func=get_remote_address, default_limits=[], on_breach=_log_breach)
