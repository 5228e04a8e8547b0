"""The one base of every refusal in the portal.

A service that declines an action raises ``Refused`` (or a subclass: a workflow move, a signature, an
attachment, an import) with the translated reason as its text; views catch ``Refused`` and show that text —
on the form when there is one, as a message otherwise — and save nothing.
"""


class Refused(Exception):
    """An action the portal declined; ``str(error)`` is the translated reason shown to the user."""
