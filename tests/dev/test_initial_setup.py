import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from argus.incident.models import SourceSystem

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("initial_setup", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_creates_argus_source_and_admin_with_random_password():
    out, err = run()
    assert 'Ensured the existence of the source, source type and user "argus"' in out
    match = re.search(r'Created Argus superuser "admin" with password "([A-Za-z0-9]{16})"', out)
    assert match, out
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.first_name == "Admin"
    assert admin.check_password(match.group(1))
    source = SourceSystem.objects.get(name="argus")
    assert source.type_id == "argus"
    assert source.user.username == "argus" and source.user.is_superuser and not source.user.is_staff
    assert source.user.password == "" and not source.user.check_password("")
    assert not Token.objects.filter(user=source.user).exists()  # Argus never calls its own API


def test_chosen_password_email_and_username():
    out, _ = run("-u", "nro_initadmin", "-p", "s3cret-pw", "-e", "ops@example.org")
    assert 'Successfully created Argus superuser "nro_initadmin" with the chosen password' in out
    user = get_user_model().objects.get(username="nro_initadmin")
    assert user.first_name == "Nro_initadmin" and user.email == "ops@example.org"
    assert user.check_password("s3cret-pw")


def test_is_idempotent_and_leaves_existing_admin_alone():
    run("-p", "first-password")
    out, err = run("-p", "other-password")
    assert "Argus superuser admin already exists!" in err
    assert get_user_model().objects.get(username="admin").check_password("first-password")
    assert SourceSystem.objects.filter(name="argus").count() == 1
    assert get_user_model().objects.filter(username="argus").count() == 1
