"""The exceptions envsolve raises on purpose, by what went wrong. The command line turns them into
exit codes by type, in one place (:func:`resolver.cli.main`); nothing searches their text.

- :class:`InputError`: bad input from the user or from a file (exit 2). :class:`UsageError` is the
  user's command line.
- :class:`NetworkError`: an index or server could not be reached (exit 3).
"""

from __future__ import annotations


class EnvsolveError(Exception):
    """Base of every expected failure."""


class InputError(EnvsolveError):
    """Input that cannot be used: a malformed file, an unknown name, a value that fails validation."""


class UsageError(InputError):
    """Bad input on the command line: an unknown name, a malformed version, contradictory options."""


class NetworkError(EnvsolveError):
    """A package index or server could not be reached; nothing was written."""


# What uv and pip print when the network, not the input, is the problem (an HTTP 404 is the
# input's): one list for every caller that runs them (closure, verify).
NETWORK_MESSAGES = ("Failed to fetch", "error sending request", "dns error", "tcp connect error", "Connection refused",
                    "timed out", "failed to lookup address", "Could not connect", "NewConnectionError",
                    "Max retries exceeded", "Temporary failure in name resolution", "Network is unreachable",
                    "ConnectTimeoutError", "ReadTimeoutError")


def names_the_network(text: str) -> bool:
    """Does a uv or pip error message say that an index could not be reached?"""
    return any(word in text for word in NETWORK_MESSAGES)
