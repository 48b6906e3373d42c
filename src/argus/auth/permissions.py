"""Permission classes of the API.

``IsAuthenticated`` is the default of every API view (settings). These add the rules for source
systems (superusers write, anyone reads) and for user-owned objects (phone numbers, notification
profiles, ...), and staff-only writes (planned maintenance). Owned objects of other users should also be filtered out of the view's queryset so
they answer 404, not 403; ``IsOwner`` is the second line of defence.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission


def _is_superuser(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser)


def _is_owner(user, obj) -> bool:
    owner_id = getattr(obj, "user_id", None)
    return bool(user and user.is_authenticated and owner_id is not None and owner_id == user.pk)


class IsSuperuserOrReadOnly(BasePermission):
    """Safe methods for anyone, even anonymous; other methods only for superusers."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or _is_superuser(request.user)


class IsOwner(BasePermission):
    """Authenticated users; an object only for its ``user`` or a superuser."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        return _is_owner(request.user, obj) or _is_superuser(request.user)


class IsOwnerOrReadOnly(BasePermission):
    """Safe methods for everybody; writes to an object only for its ``user`` or a superuser."""

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return _is_owner(request.user, obj) or _is_superuser(request.user)


class IsStaffOrReadOnly(BasePermission):
    """Authenticated users may read; other methods only for staff (``is_staff``)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or bool(user.is_staff)
