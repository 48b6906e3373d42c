from argus.auth.management.users import SuperuserFlagCommand


class Command(SuperuserFlagCommand):
    help = "Turn superuser into user"
    username_help = "Revoke superuser powers from this user"
    make_superuser = False
