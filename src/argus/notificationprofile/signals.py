"""The one receiver left: users written outside our code still get what every user has.

Our own code creates and changes users through ``argus.auth.services`` (the user admin,
``initial_setup``, the user commands, social login), which keep a user's notification defaults
themselves (:func:`argus.notificationprofile.services.user_defaults_keep`). Users are also written
where we cannot put a service call: Django's ``createsuperuser``, a shell, another app. For those
this ``post_save`` receiver calls the same service, and stands aside when a service is the writer.
Fixture loading (``raw=True``) is skipped, as in Argus 1.37.
"""

from argus.notificationprofile import services


def user_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or services.user_defaults_kept_by_caller():
        return
    services.user_defaults_keep(user=instance, created=created, update_fields=update_fields)
