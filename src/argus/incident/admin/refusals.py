"""How the incident admin shows a service's refusal: as a form error or a message, never a 500.

The admin pages change state only through :mod:`argus.incident.services`. When a service's rule
refuses (an incident this user may not close, an acknowledgement that has expired, a source system
that still has incidents) it raises a :class:`~argus.util.errors.DomainError`; this mixin turns it
into what a person at the admin expects.
"""

from django.contrib import messages
from django.db import router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from argus.util.errors import DomainError

#: Where a refused save leaves its error on the request for the second rendering of the form.
_REFUSAL_ATTRIBUTE = "_argus_service_refusal"


class ServiceRefusalsMixin:
    """For a ``ModelAdmin`` whose saves and deletes call services (put it before ``ModelAdmin``).

    * A refused add or change: the admin view's transaction is rolled back, so nothing of the save
      remains, and the form is shown again with what was posted and the refusal as an error on the
      field :attr:`refusal_fields` names for it (at the top of the form otherwise).
    * A refused delete or action: rolled back likewise; the message is shown above the page the
      user came from.
    """

    #: DomainError class -> the form field that shows it; the most specific class wins.
    refusal_fields: dict = {}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            if request.method != "POST":
                raise
            # The same POST again: get_form makes the refusal a form error, so nothing is saved.
            setattr(request, _REFUSAL_ATTRIBUTE, error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, _REFUSAL_ATTRIBUTE, None)
        if refusal is None:
            return form_class
        field = self.refusal_field(refusal)
        if field not in form_class.base_fields:
            field = None

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                self.add_error(field, refusal.message)
                return cleaned

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm

    def refusal_field(self, error: DomainError) -> str | None:
        for cls in type(error).__mro__:
            if cls in self.refusal_fields:
                return self.refusal_fields[cls]
        return None

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            opts = self.opts
            change_url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(change_url)

    def response_action(self, request, queryset):
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().response_action(request, queryset)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
