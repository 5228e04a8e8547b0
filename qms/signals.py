"""Signal receivers of the shared core."""
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation


@receiver(user_logged_in)
def remember_language_on_login(sender, request, user, **kwargs):
    """A user's chosen language follows them to any browser they log in from."""
    if getattr(user, "language", ""):
        translation.activate(user.language)
        request.session["_language"] = user.language
