"""Authentication: a ServerMiddleware that checks every call's `authorization` header (a bearer
token, or basic user/password which is answered with a bearer token) before any handler runs."""
from __future__ import annotations

import base64
import binascii
import hmac
import secrets

import pyarrow.flight as flight


class BearerIssuer(flight.ServerMiddleware):
    """Sends the bearer token back to a client that logged in with basic credentials."""

    def __init__(self, token: str):
        self.token = token

    def sending_headers(self):
        return {"authorization": f"Bearer {self.token}"}


class AuthMiddlewareFactory(flight.ServerMiddlewareFactory):
    """Accepts `Bearer <token>` (the configured token, or the one issued for the configured user)
    and `Basic <user:password>`; everything else is UNAUTHENTICATED."""

    def __init__(self, token: str | None = None, user: str | None = None, password: str | None = None):
        if token is None and user is None:
            raise ValueError("give a token or a user and password")
        if user is not None and password is None:
            raise ValueError("a user needs a password")
        self.user, self.password = user, password
        self.tokens = [token] if token is not None else []
        if user is not None:
            self.tokens.append(secrets.token_urlsafe(32))

    def start_call(self, info, headers):
        values = headers.get("authorization") or headers.get("Authorization") or []
        if not values:
            raise flight.FlightUnauthenticatedError("missing authorization header (bearer token or basic credentials)")
        scheme, _, credential = values[0].partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and any(hmac.compare_digest(credential.encode(), t.encode()) for t in self.tokens):
            return None
        if scheme == "basic" and self.user is not None and self._basic_ok(credential):
            return BearerIssuer(self.tokens[-1])
        raise flight.FlightUnauthenticatedError("invalid credentials")

    def _basic_ok(self, credential: str) -> bool:
        try:
            padded = credential + "=" * (-len(credential) % 4)  # Go clients send unpadded base64
            user, _, password = base64.b64decode(padded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user.encode(), self.user.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode())


class NoopAuthHandler(flight.ServerAuthHandler):
    """Lets the Handshake RPC through (basic-token clients call it); the middleware does the checks."""

    def authenticate(self, outgoing, incoming):
        """Nothing to exchange: credentials travel in headers."""

    def is_valid(self, token):
        return ""
