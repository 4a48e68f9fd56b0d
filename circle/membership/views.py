"""HTML pages (stub)."""

from flask import Blueprint

bp = Blueprint("membership", __name__)
