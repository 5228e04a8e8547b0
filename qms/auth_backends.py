"""The portal's authentication backends (settings.AUTHENTICATION_BACKENDS, after axes' lock-out check)."""
import rules
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from qms.people import User


class PortalModelBackend(ModelBackend):
    """Django's ModelBackend, reading the signed-in user with his department in the same query: every page's header
    names it, and the visibility rules read it (a query of its own on every page otherwise)."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("department").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class PortalPermissionBackend(rules.permissions.ObjectPermissionBackend):
    """rules' object permissions. A permission the portal declares (``rules.add_perm``) is answered by its rule
    alone: a refusal ends the check, so a permission ticked for a user or a group in the admin cannot widen a
    declared rule, and Django's ModelBackend (which reads the user's and the groups' permissions from the database,
    two queries on every page) is asked only about the permissions the portal does not declare — the admin's own
    model permissions — and for superusers. A refused permission is remembered on the request's user so that the
    403 page can name the roles it needs (the last refusal is the one the view raised on)."""

    def has_perm(self, user, perm, *args, **kwargs):
        allowed = super().has_perm(user, perm, *args, **kwargs)
        if not allowed and user is not None and not getattr(user, "is_superuser", False):
            try:
                user.refused_permission = perm
            except AttributeError:  # AnonymousUser-like objects without a __dict__
                pass
            if rules.perm_exists(perm):
                raise PermissionDenied  # Django's has_perm answers False without asking the later backends
        return allowed


def has_perm(user, perm: str) -> bool:
    """``user.has_perm(perm)``, as the backends above answer it, for a page that asks many times (the navigation):
    Django loads every backend again for each question. An active superuser has every permission; a permission the
    portal declares is its rule's answer; any other is asked of the backends as usual."""
    if user.is_active and user.is_superuser:
        return True
    if rules.perm_exists(perm):
        return rules.has_perm(perm, user)
    return user.has_perm(perm)
