from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.functional import cached_property


class User(AbstractUser):
    """An Argus user: a person (end user) or the system user of a source system."""

    class Meta(AbstractUser.Meta):
        db_table = "argus_auth_user"
        swappable = "AUTH_USER_MODEL"

    @cached_property
    def is_source_system(self) -> bool:
        return hasattr(self, "source_system")

    @property
    def is_end_user(self) -> bool:
        return not self.is_source_system


class Preferences(models.Model):
    """Per-user preference namespaces (backs the HTMX frontend upstream; no REST API)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="preferences")
    namespace = models.CharField(max_length=255)
    preferences = models.JSONField(blank=True, default=dict)

    class Meta:
        verbose_name = "User Preferences"
        verbose_name_plural = "Users' Preferences"
        constraints = [
            models.UniqueConstraint(fields=["user", "namespace"], name="unique_preference"),
        ]

    def __str__(self):
        return f"{self.user}: {self.namespace}"
