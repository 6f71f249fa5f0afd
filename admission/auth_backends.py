"""Grant each member the permissions that route Viewflow tasks to their organization.

Viewflow lists a task in a user's queue when the task's `owner_permission` is among
`user.get_all_permissions()`; tasks carry `admission.org_<pk>` (or `..._decide`), so an
authentication backend is the library's own extension point for organization-level routing.
"""

from django.contrib.auth.backends import BaseBackend

from .permissions import membership_of, permissions_of


class OrganizationPermissionBackend(BaseBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if not hasattr(user_obj, "_admission_perm_cache"):
            user_obj._admission_perm_cache = permissions_of(membership_of(user_obj))
        return user_obj._admission_perm_cache

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)
