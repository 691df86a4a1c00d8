"""Errors that catdog reports to the user as one line, without a traceback."""


class CatdogError(Exception):
    """A user-facing error: bad input, a missing file, an invalid setting.

    The message states what failed, on which file or value, and what to do next.
    The command line prints it as one line and exits with code 2.
    """
