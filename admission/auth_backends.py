"""Authentication backends (config/settings.py, AUTHENTICATION_BACKENDS): who a session's user is, and the
permissions that route Viewflow tasks to each organization."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend, ModelBackend

from .compiled import CompiledQuery
from .permissions import membership_of, permissions_of

_ACCOUNTS = CompiledQuery(lambda pk: get_user_model()._default_manager.filter(pk=pk))


def session_account(user_id):
    """The account a session's user id names, read through a statement compiled once per process; None when there is
    none or it may not authenticate (inactive), as ModelBackend.get_user answers. Every signed-in request reads it."""
    UserModel = get_user_model()
    pk = UserModel._meta.pk.get_prep_value(user_id)  # as the ORM's pk= prepares it (the session holds an int)
    if pk is None:
        return None  # pk=None matches no row
    try:
        user = _ACCOUNTS.get(pk=pk)
    except UserModel.DoesNotExist:
        return None
    return user if getattr(user, "is_active", True) else None  # ModelBackend.user_can_authenticate


class AccountBackend(ModelBackend):
    """Django's ModelBackend (passwords, permissions) with the session's user read through a statement compiled once
    per process: the auth middleware reads that user on every request, and building and compiling `get(pk=…)` each
    time was an eighth of a task completion's Python function calls (issue 15). get_user keeps ModelBackend's to the
    letter (`session_account`). aget_user stays ModelBackend's: no request of ours is served asynchronously."""

    def get_user(self, user_id):
        return session_account(user_id)


class OrganizationPermissionBackend(BaseBackend):
    """Viewflow lists a task in a user's queue when the task's `owner_permission` is among
    `user.get_all_permissions()`; tasks carry `admission.org_<pk>` (or `..._decide`), so an
    authentication backend is the library's own extension point for organization-level routing."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if not hasattr(user_obj, "_admission_perm_cache"):
            user_obj._admission_perm_cache = permissions_of(membership_of(user_obj))
        return user_obj._admission_perm_cache

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)
