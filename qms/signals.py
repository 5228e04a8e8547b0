"""Signal receivers of the shared core (connected by QmsConfig.ready)."""
from django.utils import translation


def remember_language_on_login(sender, request, user, **kwargs):
    """A user's chosen language follows them to any browser they log in from."""
    if getattr(user, "language", ""):
        translation.activate(user.language)
        request.session["_language"] = user.language
